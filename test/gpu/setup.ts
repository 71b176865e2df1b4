// Runs in every GPU test worker before the test file: WebGPU must exist before tfjs-backend-webgpu loads.
import { installNodeWebGPU } from './node-webgpu';

installNodeWebGPU();
