import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export interface TokenOptions {
  readonly key?: SigningKey;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
}

/**
 * A minimal OpenID provider on loopback for the tests: a discovery document, a JWKS with keys
 * generated here, and signed access tokens. Keys can be rotated.
 */
export class JwtIssuer {
  jwksFetches = 0;
  private published: SigningKey[] = [];
  private current!: SigningKey;
  private counter = 0;

  private constructor(
    private readonly http: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<JwtIssuer> {
    const ref: { issuer?: JwtIssuer } = {};
    const http = createServer((req, res) => ref.issuer?.serve(req.url ?? '/', res));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const issuer = new JwtIssuer(http, `http://127.0.0.1:${(http.address() as AddressInfo).port}`);
    ref.issuer = issuer;
    await issuer.rotate();
    return issuer;
  }

  /** A new signing key; `keepOld` keeps publishing the previous ones. */
  async rotate(keepOld = false): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = `key-${++this.counter}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    this.current = { kid, privateKey, jwk };
    this.published = keepOld ? [...this.published, this.current] : [this.current];
    return this.current;
  }

  /** A key that is never published (a forged token). */
  static async strayKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    return { kid: 'key-1', privateKey, jwk: await exportJWK(publicKey) };
  }

  sign(claims: JWTPayload, audience: string, opts: TokenOptions = {}): Promise<string> {
    const key = opts.key ?? this.current;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(opts.issuer ?? this.url)
      .setAudience(opts.audience ?? audience)
      .setIssuedAt(now - 5)
      .setExpirationTime(now + (opts.expiresIn ?? 600))
      .sign(key.privateKey);
  }

  stop(): Promise<void> {
    this.http.closeAllConnections();
    return new Promise((r) => this.http.close(() => r()));
  }

  private serve(path: string, res: import('node:http').ServerResponse): void {
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      return json({
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (path === '/jwks') {
      this.jwksFetches++;
      return json({ keys: this.published.map((k) => k.jwk) });
    }
    res.writeHead(404).end();
  }
}
