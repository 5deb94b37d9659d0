export {
  applyTemperature,
  argmaxRow,
  expectedCalibrationError,
  fitClassOffsets,
  fitTemperature,
  PROBABILITY_FLOOR,
  type ReliabilityBin,
} from './calibration.js';
export {
  evaluateClassification,
  summariseReport,
  type ClassificationReport,
  type ClassMetrics,
  type EvaluateClassificationOptions,
  type OperatingPoint,
} from './classification.js';
export {
  averagePrecision,
  inverseFrequencyWeights,
  rankedAuc,
  rankedAveragePrecision,
  rankScores,
  rocAuc,
  rocCurve,
  thresholdForSensitivity,
  type RankedScores,
  type RocCurve,
} from './metrics.js';
export { evaluateRegression, type RegressionReport } from './regression.js';
