// The ingest path's validator of a POST /api/v1/results body. Records go through the contract's fast check
// (core/records.ts isValidRecord, held to the schema by a property test); only a refused record is handed to the zod
// schema, for its words. It stops after `maxProblems` problems, so a body of bad records costs no more than the
// problems it reports (finding 3: 200,000 `{}` records used to cost 1.3 s of CPU).
import { z } from 'zod';
import { MAX_BODY_RECORDS, isValidRecord, issueLines, recordIssues, resultsBodySchema, type ResultsBody } from '../core/records.js';
import { MAX_PROBLEMS, type BodyValidator } from './results-check.js';

/** The body's own fields, with the records left to the loop below. */
const bodyShape = resultsBodySchema.extend({ results: z.array(z.unknown()).max(MAX_BODY_RECORDS) });

export const validatorWithLimit = (maxProblems: number): BodyValidator => (raw) => {
  const shape = bodyShape.safeParse(raw);
  const problems = shape.success ? [] : issueLines(shape.error.issues, raw);
  const results = (raw as { results?: unknown } | null)?.results;
  if (Array.isArray(results) && results.length <= MAX_BODY_RECORDS) {
    for (let i = 0; i < results.length && problems.length < maxProblems; i++) {
      if (!isValidRecord(results[i])) problems.push(...recordIssues(results[i], `results[${i}]`));
    }
  }
  if (problems.length) return { ok: false, problems: problems.slice(0, maxProblems) };
  return { ok: true, body: raw as ResultsBody };
};

/** The gateway's validator: the first MAX_PROBLEMS problems. */
export const fastValidator: BodyValidator = validatorWithLimit(MAX_PROBLEMS);
