export { waitFor } from '../../support/satellite.js';
