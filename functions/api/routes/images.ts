import { ApiError, parseJsonBody } from '../http.ts';
import { ImageUploadSchema, validate } from '../schemas.ts';
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
    summary: 'Upload a small image inline (base64); the server computes its SHA-256',
    body: ImageUploadSchema,
    handle: async ({ stores }, _params, request) => {
      const input = validate(ImageUploadSchema, parseJsonBody(request.body));
      const bytes = Buffer.from(input.contentBase64, 'base64');
      if (bytes.length === 0) throw new ApiError(400, 'INVALID_REQUEST', 'contentBase64: no bytes', 'contentBase64');
      const image = await stores.images.store({ version: input.version, models: input.models, ...(input.notes === undefined ? {} : { notes: input.notes }) }, bytes);
      return ok(image, 201);
    },
  },
];
