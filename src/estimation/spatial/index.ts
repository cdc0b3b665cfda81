// Public API of the spatial econometrics library (weights, autocorrelation statistics, ML spatial models, panels).
export type { SpatialWeights } from './types.js';
export { lag, lagT, islandsOf, fromNeighbourLists, restyle, weightConstants } from './types.js';
export { weightsFromGeoJSON, pointWeights, readFeatures, looksLongLat, DEFAULT_SNAP, type WeightsOptions } from './weights.js';
export { contiguity, contiguityBruteForce, type RookRule } from './contiguity.js';
export { featureRings, centroid, greatCircleKm, type GeoJSONFeatureCollection, type GeoJSONFeature } from './geometry.js';
export { moranTest, moranPermutation, gearyTest, localMoran, localMoranPermutation, lmTests, type MoranResult, type GearyResult, type LocalMoranRow, type LMTests } from './stats.js';
export { fitSpatial, durbinDesign, type SpatialInput, type SpatialOptions } from './ml.js';
export { chooseLogDet, eigenLogDet, mcLogDet, luLogDet, weightsEigenvalues, symmetricEigenvalues, spectralRadius, EIGEN_MAX, MATRIX_MAX_FLOPS, LOGDET_METHODS, type LogDet, type LogDetMethod, type Traces } from './logdet.js';
export { matrixLogDet, type MatrixLogDet } from './logdet-matrix.js';
export { fitSpatialPanel, type SpatialPanelInput, type SpatialPanelOptions } from './panel.js';
