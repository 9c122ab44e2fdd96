import { z } from "zod";
import { ERROR_CODES, HTTP_ERROR_CODES, httpStatusOf, type HttpErrorCode } from "../error-codes.ts";

/** The OpenAPI document's info and the scheme every /v1 route is secured by. */
export const API_INFO: {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  security: { bearerAuth: string[] }[];
} = {
  openapi: "3.1.0",
  info: {
    title: "WedSync Analytics API",
    version: "1.0.0",
    description:
      "Ingest wedding-supplier events and ask analytic questions of them. Every /v1 route takes `Authorization: Bearer <api key>`; the organisation comes from the key. Errors share one body shape, `{ error: { code, message, details? } }`; the codes are listed under the ErrorBody schema.",
  },
  security: [{ bearerAuth: [] }],
};

/** The security requirement of routes that need no API key (health probes, metrics). */
export const PUBLIC: { security: [] } = { security: [] };

/** The one error body of the API, with every code of the registry that an HTTP answer can carry documented. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(HTTP_ERROR_CODES).meta({
        description: HTTP_ERROR_CODES.map(
          (code) => `\`${code}\` (${httpStatusOf(code)}): ${ERROR_CODES[code].description}`,
        ).join("\n\n"),
      }),
      message: z.string().meta({ description: "What is wrong, in one line." }),
      details: z
        .unknown()
        .optional()
        .meta({ description: "Per-field problems (`[{ path, message }]`) or other specifics." }),
    }),
  })
  .meta({
    id: "ErrorBody",
    example: {
      error: {
        code: "invalid_request",
        message: "to: must not be before from",
        details: [{ path: "to", message: "must not be before from" }],
      },
    },
  });

/**
 * The error responses of a route for `createRoute`, one per status of the codes given (codes sharing a status share
 * an entry), each with an example of the first code of that status.
 */
export function errorResponses(...codes: HttpErrorCode[]) {
  const byStatus = new Map<number, HttpErrorCode[]>();
  for (const code of codes) byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, shared]) => [
      status,
      {
        description: shared.map((code) => ERROR_CODES[code].description).join(" "),
        content: {
          "application/json": {
            schema: ErrorBodySchema,
            example: { error: { code: shared[0]!, message: ERROR_CODES[shared[0]!].description } },
          },
        },
      },
    ]),
  );
}

/** The errors every authenticated route can answer with. */
export const AUTHENTICATED_ERRORS: HttpErrorCode[] = ["unauthorized", "forbidden", "rate_limited", "internal_error"];
