/**
 * EC2's error codes and the HTTP status each comes with. Domain code throws
 * `ec2err("InvalidInstanceID.NotFound", msg)`; the dialect in xml.ts renders
 * `<Response><Errors><Error><Code>…` as botocore's EC2 parser reads it.
 */
import { ApiError } from "../core/errors.ts";

const STATUS: Record<string, number> = {
  AuthFailure: 401,
  MissingAuthenticationToken: 401,
  UnauthorizedOperation: 403,
  RequestExpired: 400,
  InvalidAction: 400,
  MissingParameter: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  InvalidParameter: 400,
  InvalidFilter: 400,
  UnsupportedOperation: 400,
  IncorrectState: 400,
  IncorrectInstanceState: 400,
  InsufficientInstanceCapacity: 500,
  InstanceLimitExceeded: 400,
  ResourceLimitExceeded: 400,
  VolumeLimitExceeded: 400,
  AddressLimitExceeded: 400,
  NotImplemented: 501,
  InternalError: 500,
  ServiceUnavailable: 503,
};

export function ec2err(code: string, message?: string): ApiError {
  const status = STATUS[code] ?? 400;
  return new ApiError(status, message ?? code, code);
}

/** `InvalidInstanceID.NotFound`, `InvalidVolume.NotFound` … for an id. */
export function notFound(code: string, what: string, id: string): ApiError {
  return ec2err(code, `The ${what} '${id}' does not exist`);
}
