// The reference design's /api/sign_s3 handler on Node, as the peer of
// `make bench-http` (bench/http.sh). Not part of the product.
//
//   POST /api/sign_s3  {"file_name":"photo.jpg","file_type":"image/jpeg"}
//   -> 200 {"file_type":..., "signed_request":..., "url":...}
//
// hapi route, payload validated by joi; file_name trimmed, lowercased,
// whitespace runs -> '_'; an empty file_type is looked up with mime; the key
// is uploads/<uuid v4>/<name>; the URL is presigned offline by
// @aws-sdk/s3-request-presigner (PUT, Content-Type signed, 60 s).
//
// Environment: PORT (default 8081), HOST (127.0.0.1), WORKERS (1: one
// process; N > 1: node:cluster with N processes sharing the port),
// S3_BUCKET, S3_REGION (us-east-1), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
// Credentials and region are always passed explicitly, so the SDK never
// walks its provider chain (no IMDS, no files); run it with
// AWS_EC2_METADATA_DISABLED=true all the same. Nothing here talks to AWS.
import cluster from 'node:cluster';
import process from 'node:process';

const workers = Math.max(1, parseInt(process.env.WORKERS || '1', 10) || 1);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', () => {
    if (stopping && Object.keys(cluster.workers).length === 0) process.exit(0);
    if (!stopping) { console.error('node peer: a worker died'); stop(); process.exitCode = 1; }
  });
} else {
  await serve();
}

async function serve() {
  const Hapi = (await import('@hapi/hapi')).default;
  const Joi = (await import('joi')).default;
  const mime = (await import('mime')).default;
  const { v4: uuidv4 } = await import('uuid');
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');

  const bucket = process.env.S3_BUCKET || 'examplebucket';
  const region = process.env.S3_REGION || 'us-east-1';
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID || 'AKIAIOSFODNN7EXAMPLE';
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ||
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  // One client for the process (the favourable choice for the peer: a
  // client per request costs it more). Checksums only when required, as
  // the SDK did before it added CRC32 parameters to presigned PUTs.
  const s3 = new S3Client({
    region,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const server = Hapi.server({
    port: parseInt(process.env.PORT || '8081', 10),
    host: process.env.HOST || '127.0.0.1',
  });

  server.route({
    method: 'POST',
    path: '/api/sign_s3',
    options: {
      validate: {
        payload: Joi.object({
          file_name: Joi.string().required(),
          file_type: Joi.string().allow(''),
        }),
      },
    },
    handler: async (request) => {
      const name = request.payload.file_name.trim().toLowerCase().replace(/\s+/g, '_');
      const fileType = request.payload.file_type || mime.getType(name) ||
        'application/octet-stream';
      const key = `uploads/${uuidv4()}/${name}`;
      const signed = await getSignedUrl(
        s3,
        new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: fileType }),
        { expiresIn: 60 },
      );
      return { file_type: fileType, signed_request: signed, url: signed.split('?')[0] };
    },
  });

  const stop = async () => { await server.stop({ timeout: 1000 }); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await server.start();
  console.error(`node peer[${process.pid}]: listening on ${server.info.uri}`);
}
