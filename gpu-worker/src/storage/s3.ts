// Image storage on S3 (s3rver locally): put with retries and backoff, presigned GET URLs.
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

export interface S3Config {
  endpoint?: string; // http://127.0.0.1:4569 for s3rver; absent for AWS
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  urlTtlSeconds: number;
}

export interface ImageStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  url(key: string): Promise<string>;
  /** Images accepted but not yet in the store (the spool's backlog); absent means none are held. */
  pending?(): number;
}

export function createS3Store(cfg: S3Config): ImageStore & { ensureBucket(): Promise<void> } {
  const client = new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    maxAttempts: 3, // the SDK's standard retry with backoff for 5xx and network errors; the spool covers longer outages
    // A store that accepts connections but never answers must fail the attempt, not hang the job.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 15_000, throwOnRequestTimeout: true },
  });
  return {
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: cfg.bucket }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket: cfg.bucket }));
      }
    },
    async put(key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: body, ContentType: contentType }));
    },
    url(key) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: cfg.bucket, Key: key }), {
        expiresIn: cfg.urlTtlSeconds,
      });
    },
  };
}
