import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  type Type,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  type ClientAccess,
  ClientAccessService,
  type ClientAuthRoute,
} from './client-access.service.js';
import { HttpAnswerException, HttpAnswerFilter } from './http-answer.js';

const ROUTE_KIND = 'satellite:client-auth-route';
const accessByRequest = new WeakMap<FastifyRequest, ClientAccess>();

/**
 * Authenticates every request of a route it guards (ClientAccessService) and keeps the caller on
 * the request for the handler (clientAccessOf). A refusal never reaches the handler.
 */
@Injectable()
export class ClientAuthGuard implements CanActivate {
  constructor(
    private readonly access: ClientAccessService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const route =
      this.reflector.getAllAndOverride<ClientAuthRoute | undefined>(ROUTE_KIND, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'mcp';
    try {
      accessByRequest.set(req, await this.access.resolve(req, route));
      return true;
    } catch (err) {
      throw new HttpAnswerException(this.access.challengeFor(err));
    }
  }
}

/**
 * Puts a route (or every route of a controller) behind client authentication, then behind the
 * `after` guards (quotas), which can read the caller with clientAccessOf(). The REST tool routes
 * (`tools`, `tools:call`) leave refusals to the app's filter, which answers them there as RFC 9457
 * problems with the same status and headers (src/client-error.filter.ts).
 */
export function ClientAuth(
  route: ClientAuthRoute = 'mcp',
  ...after: Type<CanActivate>[]
): MethodDecorator & ClassDecorator {
  const problems = route === 'tools' || route === 'tools:call';
  return applyDecorators(
    SetMetadata(ROUTE_KIND, route),
    UseGuards(ClientAuthGuard, ...after),
    ...(problems ? [] : [UseFilters(HttpAnswerFilter)]),
  );
}

/** The caller ClientAuthGuard resolved for this request (a route without the guard has none). */
export function clientAccessOf(req: FastifyRequest): ClientAccess {
  const access = accessByRequest.get(req);
  if (!access) throw new Error(`${req.method} ${req.url}: the route is not behind @ClientAuth()`);
  return access;
}
