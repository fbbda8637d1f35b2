import { useBackend } from './app-backend.js';
import { describeReplay } from './replay-suite.js';

await useBackend('cpu');
describeReplay('cpu');
