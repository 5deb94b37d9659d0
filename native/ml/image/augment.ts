import * as tf from '@tensorflow/tfjs';

/** Random training-time changes to image batches; all ranges are symmetric around "no change". */
export interface AugmentOptions {
  /** Mirror left-right with probability 0.5 (off for images where laterality matters). */
  readonly flipHorizontal?: boolean;
  /** Rotate by up to this many degrees either way. */
  readonly maxRotationDeg?: number;
  /** Shift by up to this fraction of the width/height either way. */
  readonly maxShiftFraction?: number;
  /** Scale intensities by 1 ± j and add ± j (per image). */
  readonly intensityJitter?: number;
}

/**
 * Augments an NHWC batch with one random draw per image from `random` (seeded by the caller, so
 * runs reproduce): flip, then rotation about the centre and shift in one projective transform
 * (bilinear, zero fill), then intensity jitter.
 */
export function augmentBatch(x: tf.Tensor4D, options: AugmentOptions, random: () => number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w] = x.shape;
    let out: tf.Tensor4D = x;
    if (options.flipHorizontal === true) {
      const flip = Array.from({ length: n }, () => random() < 0.5);
      const mask = tf
        .tensor1d(
          flip.map((f) => (f ? 1 : 0)),
          'bool',
        )
        .reshape([n, 1, 1, 1]);
      out = tf.where(tf.broadcastTo(mask, out.shape), tf.image.flipLeftRight(out), out) as tf.Tensor4D;
    }
    const maxAngle = ((options.maxRotationDeg ?? 0) * Math.PI) / 180;
    const maxShift = options.maxShiftFraction ?? 0;
    if (maxAngle > 0 || maxShift > 0) {
      const transforms: number[] = [];
      const cx = (w - 1) / 2;
      const cy = (h - 1) / 2;
      for (let i = 0; i < n; i++) {
        const angle = (random() * 2 - 1) * maxAngle;
        const tx = (random() * 2 - 1) * maxShift * w;
        const ty = (random() * 2 - 1) * maxShift * h;
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        // Output pixel (x, y) samples input at R(x - cx - tx, y - cy - ty) + (cx, cy).
        transforms.push(c, -s, cx - c * (cx + tx) + s * (cy + ty), s, c, cy - s * (cx + tx) - c * (cy + ty), 0, 0);
      }
      out = tf.image.transform(out, tf.tensor2d(transforms, [n, 8]), 'bilinear', 'constant', 0) as tf.Tensor4D;
    }
    const j = options.intensityJitter ?? 0;
    if (j > 0) {
      const scale = tf.tensor1d(Array.from({ length: n }, () => 1 + (random() * 2 - 1) * j)).reshape([n, 1, 1, 1]);
      const shift = tf.tensor1d(Array.from({ length: n }, () => (random() * 2 - 1) * j)).reshape([n, 1, 1, 1]);
      out = tf.add(tf.mul(out, scale), shift) as tf.Tensor4D;
    }
    return out === x ? x.clone() : out;
  });
}
