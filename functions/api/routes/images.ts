import { ImageIntegrityError, ImageSignatureError, ImageSignatureRequiredError, ImageTamperedError, ImageUploadStateError, NotFoundError } from '../../../store/errors.ts';
import { ApiError, parseJsonBody } from '../http.ts';
import { ImageCompleteSchema, ImageCreateSchema, ImageInUseError, completeImage, createImage, deleteImage } from '../manageImages.ts';
import { validate } from '../schemas.ts';
import { mustFind } from './lookup.ts';
import { ok, type Route } from './types.ts';

export const imageRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/images',
    summary: 'List firmware images',
    handle: async ({ stores }) => ok({ items: (await stores.images.list()).sort((a, b) => a.createdAt - b.createdAt) }),
  },
  {
    method: 'GET',
    path: '/images/{imageId}',
    summary: 'Show one image',
    handle: async ({ stores }, { imageId = '' }) => ok(await mustFind(stores.images.get(imageId), `image ${imageId}`)),
  },
  {
    method: 'POST',
    path: '/images',
    summary: 'Create an image: `sizeBytes` (+ `sha256`) returns presigned S3 upload URL(s); `contentBase64` stores a small image inline',
    body: ImageCreateSchema,
    handle: async ({ stores }, _params, request) => {
      const body = parseJsonBody(request.body);
      if (typeof body === 'object' && body !== null && !('sizeBytes' in body) && !('contentBase64' in body)) {
        throw new ApiError(400, 'INVALID_REQUEST', 'sizeBytes: required (or contentBase64 for a small image sent inline)', 'sizeBytes');
      }
      const input = validate(ImageCreateSchema, body);
      const created = await refusals(() => createImage(stores, input));
      // Inline uploads keep their original answer (the image); presigned ones say where to PUT.
      return ok(created.upload === undefined ? created.image : created, 201);
    },
  },
  {
    method: 'POST',
    path: '/images/{imageId}/complete',
    summary: 'Hash the uploaded bytes server-side and verify the image (409 if rejected, 422 on a hash or size mismatch)',
    body: ImageCompleteSchema,
    handle: async ({ stores }, { imageId = '' }, request) => {
      const input = validate(ImageCompleteSchema, request.body === undefined || request.body.trim() === '' ? {} : parseJsonBody(request.body));
      return ok(await refusals(() => completeImage(stores, imageId, input)));
    },
  },
  {
    method: 'DELETE',
    path: '/images/{imageId}',
    summary: 'Delete an image and its bytes (409 while a campaign that is not finished uses it)',
    handle: async ({ stores }, { imageId = '' }) => {
      await refusals(() => deleteImage(stores, imageId));
      return ok({ imageId, deleted: true });
    },
  },
];

/** The registry's refusals as API errors. */
async function refusals<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, 'NOT_FOUND', error.message);
    if (error instanceof ImageInUseError) throw new ApiError(409, 'IMAGE_IN_USE', error.message);
    if (error instanceof ImageUploadStateError) throw new ApiError(409, 'UPLOAD_STATE', error.message);
    if (error instanceof ImageIntegrityError) throw new ApiError(422, 'IMAGE_INTEGRITY', error.message);
    if (error instanceof ImageSignatureError) throw new ApiError(422, 'IMAGE_SIGNATURE', error.message, 'signature');
    if (error instanceof ImageSignatureRequiredError) throw new ApiError(400, 'SIGNATURE_REQUIRED', error.message, 'signature');
    if (error instanceof ImageTamperedError) throw new ApiError(409, 'IMAGE_TAMPERED', error.message);
    if (error instanceof RangeError) throw new ApiError(400, 'INVALID_REQUEST', error.message, error.message.split(' ')[0]?.replace(/:$/, ''));
    throw error;
  }
}
