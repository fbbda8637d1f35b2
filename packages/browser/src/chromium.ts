/**
 * Headless Chromium from Debian (`apt-get install chromium`), driven by playwright-core:
 * never a browser that playwright downloads. WebGPU runs on SwiftShader (a CPU Vulkan)
 * and WebGL on SwiftShader too, so both work on a machine without a GPU.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Checked with Debian's Chromium 156 (headless): this set gives both WebGL 2 (ANGLE on
 * Vulkan/SwiftShader) and a WebGPU adapter (SwiftShader) on a machine without a GPU.
 * --enable-unsafe-webgpu: without it requestAdapter() returns null.
 * --enable-unsafe-swiftshader: Chromium is deprecating the automatic fall-back to software
 *   WebGL; this keeps WebGL on SwiftShader allowed explicitly.
 * --disable-gpu: no hardware GPU process (there is none); software paths still serve both APIs.
 * The rest keep a headless run quiet and off the network (this machine has none).
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
] as const;

export function chromiumAvailable(): { available: true } | { available: false; reason: string } {
  return existsSync(CHROMIUM_PATH)
    ? { available: true }
    : { available: false, reason: `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)` };
}

export async function launchChromium(): Promise<Browser> {
  const status = chromiumAvailable();
  if (!status.available) throw new Error(status.reason);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS] });
}
