import { useBackend } from '../../src/engine/backend.ts';

/**
 * Starts the webgpu backend (SwiftShader where there is no GPU: the tests pin it with
 * UNTANGLE_WEBGPU=swiftshader so results do not depend on the machine) and returns undefined, or the
 * reason it cannot start, for `{ skip }`: no `webgpu` package, no Vulkan loader or SwiftShader ICD.
 */
export async function webgpuSkipReason(): Promise<string | undefined> {
  process.env.UNTANGLE_WEBGPU ??= 'swiftshader';
  try {
    await useBackend('webgpu');
    return undefined;
  } catch (error) {
    const reason = `webgpu unavailable here, skipped: ${(error as Error).message}`;
    console.log(`# ${reason}`);
    return reason;
  }
}
