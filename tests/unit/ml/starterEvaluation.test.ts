import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../native/ml/random.js';
import { evaluateWithTemperature } from '../../../native/ml/starter/classifier.js';

function predictions(n: number, k: number): { probs: Float32Array; labels: Int32Array } {
  const random = seededRandom(4);
  const labels = Int32Array.from({ length: n }, () => Math.floor(random() * k));
  const probs = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probs[i * k + c] = random() + (c === labels[i] ? 0.5 : 0);
    for (let c = 0; c < k; c++) probs[i * k + c]! /= sum;
  }
  return { probs, labels };
}

describe('evaluateWithTemperature', () => {
  const { probs, labels } = predictions(300, 3);
  const classes = ['a', 'b', 'c'];

  it('reports accuracy, macro-F1 and AUC with bootstrap 95% intervals around them', () => {
    const e = evaluateWithTemperature(probs, labels, classes, 1);
    const f1 = e.metrics.macroF1 as { value: number; ci95: [number, number] };
    expect(f1.ci95[0]).toBeLessThanOrEqual(f1.value);
    expect(f1.ci95[1]).toBeGreaterThanOrEqual(f1.value);
    expect(f1.ci95[1] - f1.ci95[0]).toBeGreaterThan(0);
  });

  it('skips the bootstrap for an interim evaluation, with the same temperature and figures', () => {
    const full = evaluateWithTemperature(probs, labels, classes, 1);
    const interim = evaluateWithTemperature(probs, labels, classes, 1, { bootstrap: 0 });
    expect(interim.temperature).toBe(full.temperature);
    expect(interim.report.macroF1).toBe(full.report.macroF1);
    expect(interim.report.ece).toBe(full.report.ece);
    expect(interim.metrics.macroF1).toEqual({ value: (full.metrics.macroF1 as { value: number }).value });
    expect(interim.metrics.auc).not.toHaveProperty('ci95');
  });

  it('bootstraps only the scaled figures: the raw ones give their ECE and log loss, and no intervals are drawn for them', () => {
    const e = evaluateWithTemperature(probs, labels, classes, 1);
    expect(e.report.aucBootstrapRounds).toBeGreaterThan(0);
    expect(e.raw.aucBootstrapRounds).toBe(0);
    expect(e.metrics.eceBeforeTemperature).toBe(Math.round(e.raw.ece * 1e6) / 1e6);
  });
});
