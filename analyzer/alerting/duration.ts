// The one duration parser lives in core/ (the config loader checks durations too).
export { parseDuration } from '../../core/duration.js';
