// Key management over GraphQL for admins (the CLI's create / list / revoke), so keys can be managed while a server
// holds the embedded database. The secret is returned once, by createApiKey.
import { Arg, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { badInput } from '../resolvers/errors.js';
import type { Context } from '../resolvers/loaders.js';
import { createKey, KeyError, listKeys, revokeKey, type ApiKeyInfo } from './keys.js';
import { requireRole } from './roles.js';

@ObjectType({ description: 'An API key as listed: never the secret.' })
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'reader | analyst | admin' }) role!: string;
  @Field(() => String, { description: 'first characters of the key' }) prefix!: string;
  @Field(() => String) createdAt!: string;
  @Field(() => String, { nullable: true }) lastUsedAt!: string | null;
  @Field(() => String, { nullable: true }) revokedAt!: string | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => String, { description: 'the secret: shown only in this response' }) key!: string;
  @Field(() => ApiKey) info!: ApiKey;
}

const toApiKey = (k: ApiKeyInfo): ApiKey => ({
  id: String(k.id), name: k.name, role: k.role, prefix: k.prefix, createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null, revokedAt: k.revokedAt?.toISOString() ?? null,
});

function keyError(e: unknown, arg: string): never {
  if (e instanceof KeyError) throw badInput(arg, e.message);
  throw e;
}

@Resolver()
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: 'Every API key, revoked ones included (admin).' })
  async apiKeys(@Ctx() ctx: Context): Promise<ApiKey[]> {
    requireRole(ctx.principal, 'admin', 'apiKeys');
    return (await listKeys(ctx.db)).map(toApiKey);
  }

  @Mutation(() => CreatedApiKey, { description: 'Creates a key with a role (admin); the secret is in this response only.' })
  async createApiKey(@Ctx() ctx: Context, @Arg('name', () => String) name: string, @Arg('role', () => String) role: string): Promise<CreatedApiKey> {
    requireRole(ctx.principal, 'admin', 'createApiKey');
    try {
      const { key, info } = await createKey(ctx.db, name, role);
      return { key, info: toApiKey(info) };
    } catch (e) { keyError(e, /role/.test((e as Error).message) ? 'role' : 'name'); }
  }

  @Mutation(() => ApiKey, { description: 'Revokes a key by id or prefix (admin); effective at once on this server.' })
  async revokeApiKey(@Ctx() ctx: Context, @Arg('key', () => String, { description: 'id or prefix' }) key: string): Promise<ApiKey> {
    requireRole(ctx.principal, 'admin', 'revokeApiKey');
    try {
      return toApiKey(await revokeKey(ctx.db, key));
    } catch (e) { keyError(e, 'key'); }
  }
}
