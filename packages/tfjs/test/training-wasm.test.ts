import { useBackend } from './app-backend.js';
import { describeTraining } from './training-suite.js';

await useBackend('wasm');
describeTraining('wasm');
