import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";

/** One problem with a request, as every 400 lists them: where (a dotted path, `$` for the whole) and what. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Every problem zod found, in the API's one details shape; unknown keys are named as unknown `noun`s. */
export function fieldIssues(error: z.ZodError, noun: "field" | "parameter" = "field"): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "$" : issue.path.map(String).join("."),
    message: issue.code === "unrecognized_keys" ? `unknown ${noun}(s): ${issue.keys.join(", ")}` : issue.message,
  }));
}

/** A 400 naming every problem: the message lists them in one line, details as `[{ path, message }]`. */
export function invalidRequest(details: FieldIssue[]): ApiError {
  return new ApiError("invalid_request", details.map((d) => `${d.path}: ${d.message}`).join("; "), details);
}

/** Validates input against schema, or throws a 400 naming every bad field (for input a route reads itself). */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw invalidRequest(fieldIssues(parsed.error));
}

/**
 * A sub-app whose routes are declared with `createRoute` (so they appear in /openapi.json with their schemas and
 * examples) and whose validation failures become the API's one 400 shape. Every route module builds its app with it.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook(result) {
      if (!result.success) {
        const noun = result.target === "query" || result.target === "param" ? "parameter" : "field";
        throw invalidRequest(fieldIssues(result.error as z.ZodError, noun));
      }
    },
  });
}

/** A router of the product: an OpenAPIHono app on the product's environment. */
export type Router = ReturnType<typeof createRouter>;
