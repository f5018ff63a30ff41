// POST /v1/images/edits bodies: OpenAI's multipart/form-data (what its SDK sends) turned into the
// JSON request the contract validates, images as base64; a JSON body with base64 images also works.
// Image fields must be uploaded files: a URL in their place is refused, never fetched.
import type { Context } from "hono";
import { invalidRequest, readJson } from "../errors.ts";

const NUMBER_FIELDS = new Set([
  "n",
  "steps",
  "seed",
  "max_nfe",
  "partial_images",
  "preview_every",
  "strength",
  "output_compression",
]);
const BOOLEAN_FIELDS = new Set(["stream"]);
const FILE_FIELDS = new Set(["image", "mask"]);

/** Base64 of bytes without Buffer (Workers); chunked, since fromCharCode takes its arguments on the stack. */
function toBase64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let s = "";
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

async function fileField(name: string, v: FormDataEntryValue, maxBytes: number): Promise<string> {
  if (typeof v === "string")
    throw invalidRequest("invalid_image", `${name} must be an uploaded file (URLs are not fetched).`, name);
  if (v.size > maxBytes) throw invalidRequest("image_too_large", `${name} is larger than ${maxBytes} bytes.`, name);
  return toBase64(new Uint8Array(await v.arrayBuffer()));
}

/** A form field as the JSON value the schema expects; what does not parse stays a string, for zod to name. */
function scalarField(name: string, v: string): unknown {
  if (NUMBER_FIELDS.has(name)) return v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
  if (BOOLEAN_FIELDS.has(name)) return v === "true" ? true : v === "false" ? false : v;
  if (name !== "guidance") return v;
  try {
    return JSON.parse(v);
  } catch {
    throw invalidRequest("invalid_json", "guidance must be a JSON object in a string.", "guidance");
  }
}

async function readForm(c: Context): Promise<FormData> {
  try {
    return await c.req.formData();
  } catch {
    throw invalidRequest("invalid_form", "The multipart/form-data body could not be read.");
  }
}

/** The edit request body as parsed JSON, not yet validated. */
export async function readEditBody(c: Context, maxImageBytes: number): Promise<unknown> {
  if (!/^multipart\/form-data/i.test(c.req.header("content-type") ?? "")) return readJson(c);
  const body: Record<string, unknown> = {};
  const images: string[] = [];
  for (const [key, v] of await readForm(c)) {
    const name = key.endsWith("[]") ? key.slice(0, -2) : key;
    if (name === "image")
      images.push(await fileField(images.length ? `image[${images.length}]` : "image", v, maxImageBytes));
    else if (FILE_FIELDS.has(name)) body[name] = await fileField(name, v, maxImageBytes);
    else if (typeof v === "string") body[name] = scalarField(name, v);
    else throw invalidRequest("unsupported_parameter", `${name} must be a text field, not a file.`, name);
  }
  // One upload is OpenAI's `image`; several its `image[]`: the contract takes a string or a list.
  if (images.length > 0) body.image = images.length === 1 ? images[0] : images;
  return body;
}
