import { join } from 'node:path';
import type { CoreContext, HandlerGroup } from '../context.js';
import type { ModelService } from '../services/models.js';
import { actorOf } from './caseStore.js';

type ModelChannel =
  | 'models.list'
  | 'models.get'
  | 'models.train'
  | 'models.cancel'
  | 'models.runs'
  | 'models.promote'
  | 'models.discard'
  | 'models.rollback'
  | 'models.import'
  | 'models.export'
  | 'models.compare'
  | 'predict.run'
  | 'explain.run'
  | 'evaluate.run'
  | 'predictions.list'
  | 'models.reviewQueue';

/** The models domain: registry, training, prediction, explanation and evaluation. */
export function modelHandlers(context: CoreContext, models: ModelService): HandlerGroup<ModelChannel> {
  return {
    'models.list': (input) => models.list(input.task),
    'models.get': (input) => models.detail(input),
    'models.train': async (input, call) => (await models.train(input, actorOf(call))).run,
    'models.cancel': (input) => models.cancel(input.runId),
    'models.runs': (input) => models.runs(input.name, input.limit),
    'models.promote': (input, call) => models.promote(input.versionId, input.reason, actorOf(call)),
    'models.discard': (input, call) => models.discard(input.versionId, input.reason, actorOf(call)),
    'models.rollback': (input, call) => models.rollback(input.name, input.toVersionId, input.reason, actorOf(call)),
    'models.import': (input, call) => models.importBundle(input.path, actorOf(call)),
    // Through the contract, exports stay inside the data folder (exports/<name>); the CLI writes anywhere.
    'models.export': (input, call) =>
      models.exportBundle(
        input.versionId,
        join(context.home, 'exports', input.dest),
        input.quantize,
        actorOf(call),
        input.validation,
      ),
    'models.compare': (input, call) =>
      models.compare(input.candidateVersionId, input.referenceVersionId, actorOf(call)),
    'predict.run': (input, call) => models.predict(input.model, input.target, actorOf(call)),
    'explain.run': (input, call) => models.explain(input.model, input.target, input.output, actorOf(call)),
    'evaluate.run': (input, call) => models.evaluate(input.model, input.data, actorOf(call)),
    'predictions.list': (input, call) => models.predictionsFor(input, actorOf(call)),
    'models.reviewQueue': (input, call) =>
      models.reviewQueue(input.model, input.labelTask, input.limit, input.scan, actorOf(call)),
  };
}
