import { type DynamicModule, Global, Module } from '@nestjs/common';
import { SatelliteConfig } from './satellite-config.js';
import { SecretRedactor } from './secret-redactor.js';

/** Provides the typed configuration tree (loaded once before the app is created) and the log redactor. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: SatelliteConfig, redactor: SecretRedactor): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: SatelliteConfig, useValue: config },
        { provide: SecretRedactor, useValue: redactor },
      ],
      exports: [SatelliteConfig, SecretRedactor],
    };
  }
}
