/**
 * One error type for all domain code. Handlers and domain functions throw an
 * ApiError; each service's dialect (see http.ts) renders it the way that
 * service's real clients parse errors.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Optional machine-readable type (NeutronError.type, S3/EC2 Code…). */
    readonly type?: string,
    /** Extra response headers (Retry-After, WWW-Authenticate…). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string, type?: string) => new ApiError(400, message, type);
export const unauthorized = (message = "The request you have made requires authentication.", type?: string) =>
  new ApiError(401, message, type);
export const forbidden = (message = "You are not authorized to perform the requested action.", type?: string) =>
  new ApiError(403, message, type);
export const notFound = (message: string, type?: string) => new ApiError(404, message, type);
export const conflict = (message: string, type?: string) => new ApiError(409, message, type);
export const notImplemented = (message = "The action you have requested has not been implemented.") =>
  new ApiError(501, message, "NotImplemented");

/** HTTP reason phrases, as Keystone puts them in `title`. */
export const REASONS: Record<number, string> = {
  300: "Multiple Choices",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};
