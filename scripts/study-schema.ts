// Writes docs/study.schema.json from the zod schema of the study file (src/studies/schema.ts).
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { StudySchema } from '../src/studies/schema.js';

const schema = z.toJSONSchema(StudySchema, { io: 'input', unrepresentable: 'any' });
writeFileSync(new URL('../docs/study.schema.json', import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
