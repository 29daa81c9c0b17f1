// NAB (Numenta Anomaly Benchmark) v1.1 scoring, reimplemented: the API a benchmark needs.
export { defaultNabDir, loadCorpus, loadDetectorResults, loadFinalResults, loadProfiles, loadThresholds, referenceResultsDir, resultsFilePath, writeAllDetectorResults, writeDetectorResults } from './corpus.js';
export type { NabCorpus, NabFile, ShippedThreshold } from './corpus.js';
export type { DetectorScores, LabelledCorpus, LabelledFile } from './labelled.js';
export { optimiseThreshold, START_THRESHOLD, type ThresholdChoice } from './optimise.js';
export { NAB_PROFILES, PROFILE_NAMES, REWARD_LOW_FN_RATE, REWARD_LOW_FP_RATE, STANDARD, type Profile, type ProfileName } from './profiles.js';
export { normalise, nullScore, perfectScore, scoreCorpus, scoreFile, type CorpusScore, type FileScore } from './score.js';
export { probationLength, scaledSigmoid } from './sweep.js';
export type { LabelledWindow, RowWindow } from './windows.js';
