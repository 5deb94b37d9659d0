import type { ModelTask } from '../bundle.js';
import { imagePipeline } from './image.js';
import { textPipeline } from './text.js';
import type { TaskPipeline } from './types.js';
import { vitalsForecastPipeline, vitalsRiskPipeline } from './vitals.js';

export { encodeImage } from './image.js';
export { encodeTexts } from './text.js';
export {
  encodeStay,
  forecastEncoding,
  decodeForecast,
  forecastInputsAtLastHour,
  forecastTrainingData,
  type ForecastSet,
} from './vitals.js';
export type { EncodedSet, LoadOptions, TaskPipeline } from './types.js';
export { subsetOf } from './types.js';

const PIPELINES: Record<ModelTask, TaskPipeline> = {
  image: imagePipeline,
  text: textPipeline,
  'vitals-risk': vitalsRiskPipeline,
  'vitals-forecast': vitalsForecastPipeline,
};

/** The data pipeline that reads and encodes data sets for a task. */
export function pipelineFor(task: ModelTask): TaskPipeline {
  return PIPELINES[task];
}
