/**
 * Package URIs for HTTP(S)-pull devices: presigned S3 GET URLs for the verified object version
 * of an image, short-lived since a URL is a bearer credential for the image.
 */
import { ImageTamperedError } from '../../store/errors.ts';
import type { Stores } from '../../store/Stores.ts';
import type { HttpPackageSource } from '../jobs/PackageDelivery.ts';

/** The source of presigned URLs valid `expiresIn` seconds; none when `expiresIn` is 0 (HTTP pull off). */
export function presignedPackages(registry: Stores['images'], expiresIn: number): HttpPackageSource | undefined {
  if (expiresIn <= 0) return undefined;
  return {
    scheme: registry.downloadScheme,
    presign: async (imageId) => {
      const image = await registry.get(imageId);
      if (image?.verified !== true) return undefined;
      // A URL only for the verified version, while it still is the verified object (else the image is now TAMPERED).
      return registry.presignDownload(image, expiresIn).catch((error: unknown) => {
        if (error instanceof ImageTamperedError) return undefined;
        throw error;
      });
    },
  };
}
