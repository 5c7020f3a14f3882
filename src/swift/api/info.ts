import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { LISTING_LIMIT } from "../listing.ts";
import {
  MAX_HEADER_SIZE,
  MAX_META_COUNT,
  MAX_META_NAME_LENGTH,
  MAX_META_OVERALL_SIZE,
  MAX_META_VALUE_LENGTH,
} from "../http.ts";
import { MAX_ACCOUNT_NAME_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_OBJECT_NAME_LENGTH } from "../path.ts";
import { TEMPURL_DIGESTS, TEMPURL_METHODS } from "../tempurl.ts";
import { MAX_DELETES_PER_REQUEST, MAX_FAILED_DELETES } from "./bulk.ts";
import { MAX_CONTAINERS_PER_EXTRACTION, MAX_FAILED_EXTRACTIONS } from "./extract.ts";
import { MAX_MANIFEST_SEGMENTS, MAX_MANIFEST_SIZE } from "./slo.ts";

export const SWIFT_VERSION = "2.30.0";

/** GET /info: the capabilities this proxy really has, with their limits. */
export function capabilities(maxFileSize: number) {
  return {
    swift: {
      version: SWIFT_VERSION,
      max_file_size: maxFileSize,
      max_meta_name_length: MAX_META_NAME_LENGTH,
      max_meta_value_length: MAX_META_VALUE_LENGTH,
      max_meta_count: MAX_META_COUNT,
      max_meta_overall_size: MAX_META_OVERALL_SIZE,
      max_header_size: MAX_HEADER_SIZE,
      max_object_name_length: MAX_OBJECT_NAME_LENGTH,
      max_container_name_length: MAX_CONTAINER_NAME_LENGTH,
      max_account_name_length: MAX_ACCOUNT_NAME_LENGTH,
      container_listing_limit: LISTING_LIMIT,
      account_listing_limit: LISTING_LIMIT,
      extra_header_count: 0,
      valid_api_versions: ["v1", "v1.0"],
      account_autocreate: true,
      allow_account_management: false,
      strict_cors_mode: true,
      policies: [{ name: "Policy-0", aliases: "Policy-0", default: true }],
    },
    tempurl: {
      methods: [...TEMPURL_METHODS],
      allowed_digests: [...TEMPURL_DIGESTS],
      deprecated_digests: ["sha1"],
      incoming_remove_headers: ["x-timestamp"],
      incoming_allow_headers: [],
      outgoing_remove_headers: ["x-object-meta-*"],
      outgoing_allow_headers: ["x-object-meta-public-*"],
    },
    slo: {
      max_manifest_segments: MAX_MANIFEST_SEGMENTS,
      max_manifest_size: MAX_MANIFEST_SIZE,
      min_segment_size: 1,
      yield_frequency: 10,
      allow_async_delete: false,
    },
    dlo: { max_segments: 10000 },
    bulk_upload: { max_containers_per_extraction: MAX_CONTAINERS_PER_EXTRACTION, max_failed_extractions: MAX_FAILED_EXTRACTIONS },
    bulk_delete: { max_deletes_per_request: MAX_DELETES_PER_REQUEST, max_failed_deletes: MAX_FAILED_DELETES },
  };
}

export function infoRoutes(maxFileSize: number) {
  const app = new Hono<AppEnv>();
  const body = JSON.stringify(capabilities(maxFileSize));
  app.get("/info", (c) => {
    c.header("Content-Type", "application/json; charset=UTF-8");
    return c.body(body);
  });
  app.get("/healthcheck", (c) => c.text("OK"));
  return app;
}
