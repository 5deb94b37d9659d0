import { describe, expect, it } from 'vitest';
import { deidentifyText } from '../../../native/deid/text.js';

const NOTE = `Patient: HILDEGARD Q. TESTPERSON (MRN: 00482913), DOB 11/03/1947, seen 2024-03-05 by Dr. Plantedauthor.
Follow-up on March 19, 2024 and again 2 April 2024; last visit Jan. 7th 2023, review in June 2024.
Contact: hildegard.t@example.org, phone (555) 123-4567, alt 555.987.6543, ward ext 555-0199, +44 20 7946 0958.
Medical record number 12-345-678. SSN 123-45-6789. Account # AC99881. Ref 4412345678901.
Mrs Testperson reports chest pain 7/10, BP 120/80, HR 88, temp 37.5, Hb 12.5 g/dL, platelets 250, 2 x 500 mg.
Plantedauthor discussed with hildegard; seen in 2019 for the same complaint.`;

const ctx = {
  names: ['TESTPERSON^HILDEGARD^Q', 'Plantedauthor, Rex'],
  ids: ['P-0042-XYZ'],
  dateShiftDays: null,
};

describe('text de-identification', () => {
  it('replaces planted dates, phones, e-mail, record numbers and known names with typed placeholders', () => {
    const { text, counts } = deidentifyText(NOTE, ctx);
    for (const planted of [
      'HILDEGARD',
      'hildegard',
      'TESTPERSON',
      'Testperson',
      'Plantedauthor',
      '00482913',
      '11/03/1947',
      '2024-03-05',
      'March 19',
      '2 April 2024',
      'Jan. 7th 2023',
      'June 2024',
      'hildegard.t@example.org',
      '(555) 123-4567',
      '555.987.6543',
      '555-0199',
      '7946 0958',
      '12-345-678',
      '123-45-6789',
      'AC99881',
      '4412345678901',
    ])
      expect(text).not.toContain(planted);
    expect(counts).toMatchObject({ EMAIL: 1, NAME: expect.any(Number) as number });
    expect(counts.DATE).toBe(6);
    expect(counts.PHONE).toBe(4);
    expect(counts.NAME).toBeGreaterThanOrEqual(5);
    expect(text).toContain('[EMAIL]');
    expect(text).toContain('Patient: [NAME] [NAME] [NAME] (MRN: [ID])');
    expect(text).toContain('seen [DATE] by Dr. [NAME]');
    // Clinical values stay.
    for (const clinical of [
      '7/10',
      'BP 120/80',
      'HR 88',
      'temp 37.5',
      'Hb 12.5 g/dL',
      'platelets 250',
      '500 mg',
      'in 2019',
    ])
      expect(text).toContain(clinical);
  });

  it('replaces identifiers known from the record wherever they appear', () => {
    const { text } = deidentifyText('Key P-0042-XYZ; see p-0042-xyz.', ctx);
    expect(text).toBe('Key [ID]; see [ID].');
  });

  it('shifts dates in their own format with --retain-dates', () => {
    const { text, counts } = deidentifyText(
      'Seen 2024-03-05, 03/19/2024, 19.03.2024, March 19, 2024, 2 April 2024, Jan 7 and June 2024.',
      { ...ctx, dateShiftDays: -10 },
    );
    expect(text).toBe('Seen 2024-02-24, 03/09/2024, 09.03.2024, March 9, 2024, 23 March 2024, Dec 28 and June 2024.');
    expect(counts.DATE).toBe(7);
  });

  it('never lets a shifted date be read again as a phone number or an ID', () => {
    const { text } = deidentifyText('on 2024-03-05 12:00', { ...ctx, dateShiftDays: -400 });
    expect(text).toBe('on 2023-01-30 12:00');
  });

  it('drops marker characters a hostile text carries', () => {
    const { text } = deidentifyText('a \uE000\uE100\uE001 b 555-123-4567', ctx);
    expect(text).toBe('a  b [PHONE]');
  });
});

describe('text de-identification edge cases', () => {
  it('reads a lower-case month word as a word, not a date', () => {
    expect(deidentifyText('she may 2 times a day', { names: [], ids: [], dateShiftDays: null }).text).toBe(
      'she may 2 times a day',
    );
  });
});

describe('labelled identifiers', () => {
  it('replaces a number after an ID label, keeping the label', () => {
    expect(deidentifyText('ID: AB12345 seen', { names: [], ids: [], dateShiftDays: null }).text).toBe('ID: [ID] seen');
  });
});
