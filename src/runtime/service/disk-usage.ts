// The du-style walk lives with the image store, which keeps usage records (images/disk-usage.ts);
// container stats (stats.ts) measure writable layers with the same walk.
export { diskUsage } from '../images/disk-usage.js';
