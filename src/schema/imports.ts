// GraphQL types of imports: the report of one import and the options of the inline importData mutation.
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ContiguityRule { exact = 'exact', band = 'band' }
registerEnumType(ContiguityRule, { name: 'ContiguityRule', description: 'exact: shared boundary points (spdep poly2nb); band: outlines within 0.005 degrees' });

@ObjectType({ description: 'One bad row (CSV line) or feature (index + 1) of an import file.' })
export class ImportProblem {
  @Field(() => Int, { description: 'file line (CSV) or feature number (boundaries, 1-based); 0 = the file as a whole' }) line!: number;
  @Field(() => String, { nullable: true }) column!: string | null;
  @Field(() => String, { nullable: true }) value!: string | null;
  @Field(() => String) reason!: string;
  @Field(() => String, { nullable: true, description: 'unit code / feature id when known' }) feature!: string | null;
}

@ObjectType()
export class ImportCountsType {
  @Field(() => Int) inserted!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int) unchanged!: number;
  @Field(() => Int) deleted!: number;
}

@ObjectType({ description: 'Rows whose unit was matched by one method.' })
export class ImportMatchCount {
  @Field(() => String, { description: 'code, name, normalised, short, pinyin or history' }) method!: string;
  @Field(() => Int) rows!: number;
}

@ObjectType({ description: 'What one import did (or would have done: dry-run; or why nothing was written: rejected).' })
export class ImportRecord {
  @Field(() => ID, { nullable: true }) id!: string | null;
  @Field(() => String, { description: 'boundaries, city-years, firms or firm-years' }) kind!: string;
  @Field(() => String) fileName!: string;
  @Field(() => String, { description: 'ok, rejected (bad input, nothing written), dry-run or failed' }) status!: string;
  @Field(() => Int) rowsRead!: number;
  @Field(() => ImportCountsType) counts!: ImportCountsType;
  @Field(() => Int, { description: 'all problems found' }) problemCount!: number;
  @Field(() => [ImportProblem], { description: 'the first problems in full' }) problems!: ImportProblem[];
  @Field(() => [String]) derived!: string[];
  @Field(() => [String]) warnings!: string[];
  @Field(() => String) startedAt!: string;
  @Field(() => String, { nullable: true }) finishedAt!: string | null;
  @Field(() => Int, { nullable: true, description: 'data version after the import' }) dataVersion!: number | null;
  @Field(() => String, { nullable: true, description: 'API key id of whoever imported, when known' }) keyId!: string | null;
  @Field(() => String, { nullable: true, description: 'door: cli, http or graphql' }) via!: string | null;
  @Field(() => [ImportMatchCount], { description: 'rows whose unit was matched, per method (city-years, firms)' }) matched!: ImportMatchCount[];
  @Field(() => Int, { description: 'rows / features left out on request (skipUnmatched, skipInvalid)' }) skipped!: number;
  @Field(() => [ImportProblem], { description: 'the first rows / features left out (skipUnmatched, skipInvalid), with the reason' }) skippedRows!: ImportProblem[];
}

@InputType({ description: 'Options of an import (as the CLI flags).' })
export class ImportOptionsInput {
  @Field(() => String, { nullable: true }) codeField?: string;
  @Field(() => String, { nullable: true }) nameField?: string;
  @Field(() => String, { nullable: true }) yearField?: string;
  @Field(() => String, { nullable: true }) provinceField?: string;
  @Field(() => String, { nullable: true }) regionField?: string;
  @Field(() => ContiguityRule, { nullable: true }) contiguity?: ContiguityRule;
  @Field(() => Boolean, { nullable: true }) replace?: boolean;
  @Field(() => Boolean, { nullable: true }) dryRun?: boolean;
  @Field(() => Boolean, { nullable: true }) repair?: boolean;
  @Field(() => Int, { nullable: true }) maxProblems?: number;
  @Field(() => String, { nullable: true, description: 'city-years, firms: how the unit column is read: auto (default), code or name' }) match?: string;
  @Field(() => Boolean, { nullable: true, description: 'city-years, firms: leave out rows whose unit matches nothing or several units (listed in skippedRows)' }) skipUnmatched?: boolean;
  @Field(() => String, { nullable: true, description: "firms: year whose unit names are meant (a year, or 'founded'; default the latest)" }) matchYear?: string;
  @Field(() => Boolean, { nullable: true, description: 'boundaries: leave out features with an empty, degenerate or invalid geometry and import the rest' }) skipInvalid?: boolean;
  @Field(() => String, { nullable: true, description: 'GeoPackage feature table / TopoJSON object (default the first)' }) layer?: string;
  @Field(() => String, { nullable: true, description: 'xlsx: sheet name or 1-based number (default the first)' }) sheet?: string;
  @Field(() => String, { nullable: true, description: 'CSV text encoding (utf8, gb18030, gbk, ...; default detected)' }) encoding?: string;
  @Field(() => [String], { nullable: true, description: 'header renames FROM=TO, e.g. ["人均GDP=gdppc"]' }) rename?: string[];
  @Field(() => String, { nullable: true, description: 'csv, xlsx, geojson, topojson, gpkg, zip or shp when neither the name nor the bytes tell' }) format?: string;
}
