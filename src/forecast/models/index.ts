// The registry of forecasting models: one line per model. `index.test.ts` fails when a model file
// in this folder is not registered here.
import type { Model } from '../model.js';
import { etsModel } from './ets.js';
import { medianModel } from './median.js';
import { mstlLogModel, mstlModel } from './mstl.js';
import { naiveModel, seasonalNaiveModel } from './naive.js';
import { thetaModel } from './theta.js';

/** Every model by its stable name. */
export const models: Readonly<Record<string, Model>> = Object.freeze({
  [naiveModel.name]: naiveModel,
  [seasonalNaiveModel.name]: seasonalNaiveModel,
  [etsModel.name]: etsModel,
  [thetaModel.name]: thetaModel,
  [mstlModel.name]: mstlModel,
  [mstlLogModel.name]: mstlLogModel,
  [medianModel.name]: medianModel,
});
