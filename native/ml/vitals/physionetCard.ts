/** Model-card facts shared by the models trained on PhysioNet 2012 set A (from the data README). */
export const PHYSIONET2012_CARD = {
  intendedUse: 'Decision support research, not a medical device.',
  dataSource:
    'PhysioNet/CinC Challenge 2012 "Predicting Mortality of ICU Patients", training set A: the first 48 h of 4,000 ICU stays ' +
    '(Time,Parameter,Value records, 42 variables incl. HR, blood pressure, SpO2, GCS, urine and labs, plus age, gender, ICU type) ' +
    'with Outcomes-a.txt (in-hospital death: 554 died, 3,446 survived).',
  licence:
    'Open Data Commons Attribution License (ODC-By 1.0), PhysioNet "Challenge Open Access" (challenge-2012 v1.0.0).',
  attribution:
    'Silva I, Moody G, Scott DJ, Celi LA, Mark RG. Predicting In-Hospital Mortality of ICU Patients: The PhysioNet/Computing in ' +
    'Cardiology Challenge 2012. Computing in Cardiology 2012;39:245-248. Goldberger AL et al. PhysioBank, PhysioToolkit, and ' +
    'PhysioNet. Circulation 2000;101(23):e215-e220.',
} as const;

/** Relative to the shared data folder. */
export const PHYSIONET2012_PATH = 'vitals/physionet2012';
