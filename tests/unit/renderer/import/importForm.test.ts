import { describe, expect, it } from 'vitest';
import { pathsOf, startInput, summaryOf } from '../../../../renderer/src/import/importForm.js';

const noNotes = { textCol: '', labelCol: '', labelTask: '', idCol: '', patientCol: '' };

describe('import form', () => {
  it('reads one path per line, dropping blanks and surrounding spaces', () => {
    expect(pathsOf(' /a/b \n\n/c\r\n  ')).toEqual(['/a/b', '/c']);
  });

  it('builds import.start inputs per kind; notes columns become lists, empty ones are left out', () => {
    expect(startInput('dicom', [], noNotes, 'j')).toBeNull();
    expect(startInput('dicom', ['/a', '/b'], noNotes, 'j')).toEqual({ kind: 'dicom', paths: ['/a', '/b'], jobId: 'j' });
    expect(startInput('vitals', ['/v', '/ignored'], noNotes, 'j')).toEqual({ kind: 'vitals', path: '/v', jobId: 'j' });
    expect(
      startInput(
        'notes',
        ['/n.csv'],
        { ...noNotes, textCol: 'title, body', labelCol: 'dx', labelTask: 'dx', patientCol: ' mrn ' },
        'j',
      ),
    ).toEqual({
      kind: 'notes',
      path: '/n.csv',
      jobId: 'j',
      textCol: ['title', 'body'],
      labelCol: ['dx'],
      labelTask: ['dx'],
      patientCol: 'mrn',
    });
  });

  it('summarises a DICOM report with its skipped files and a notes summary with its errors', () => {
    const dicom = summaryOf({
      kind: 'dicom',
      jobId: 'j',
      filesSeen: 3,
      imported: 1,
      duplicates: 1,
      skipped: 1,
      skippedFiles: [{ path: '/x/readme.dcm', reason: 'not a DICOM file' }],
      studyIds: [1],
      seriesIds: [2],
    });
    expect(dicom.lines).toContain('1 skipped');
    expect(dicom.skipped).toEqual([{ where: '/x/readme.dcm', reason: 'not a DICOM file' }]);
    const notes = summaryOf({
      kind: 'notes',
      jobId: 'j',
      records: 2,
      inserted: 1,
      updated: 0,
      unchanged: 0,
      failed: 1,
      bytesRead: 10,
      totalBytes: 10,
      source: 'n.csv',
      format: 'csv',
      encoding: { encoding: 'utf-8', bom: false, method: 'utf8-valid', confidence: 1 },
      encodings: {},
      columns: { text: ['text'], labels: [], id: null, patient: null, date: null, title: null },
      labelsWritten: 0,
      patients: 0,
      errors: [{ file: 'n.csv', line: 3, message: 'unclosed quote' }],
      complete: false,
      durationMs: 1,
    });
    expect(notes.lines).toContain('reading stopped early: see the report');
    expect(notes.skipped).toEqual([{ where: 'n.csv:3', reason: 'unclosed quote' }]);
  });
});
