import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The query of `GET /api/usage` (docs/usage.md "The answer"). */
export class UsageQueryDto {
  @ApiPropertyOptional({ description: 'Only the calls of this server (its slug)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  server?: string;

  @ApiPropertyOptional({ description: 'Only the calls of the servers of this team' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  team?: string;

  @ApiPropertyOptional({
    description:
      'Start of the period, an ISO 8601 time (default: 24 hours ago); figures are kept per hour, so it is rounded down to the hour',
    example: '2026-12-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

export class ToolUsageDto {
  @ApiProperty({ example: 'everything-echo' }) tool_path!: string;
  @ApiProperty({ description: 'The server slug' }) server!: string;
  @ApiProperty() calls!: number;
  @ApiProperty({ description: 'Calls that ended in an error (isError result or failure)' })
  errors!: number;
  @ApiProperty({ description: 'Median latency, ms (within about 6 %)' }) p50_ms!: number;
  @ApiProperty({ description: '95th percentile latency, ms (within about 6 %)' }) p95_ms!: number;
  @ApiProperty({ description: 'UTF-8 bytes of the results as JSON' }) bytes_returned!: number;
  @ApiProperty({ description: 'Estimated tokens of the results (bytes / 4)' })
  tokens_returned!: number;
}

export class ServerUsageDto {
  @ApiProperty() server!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() errors!: number;
  @ApiProperty() p50_ms!: number;
  @ApiProperty() p95_ms!: number;
}

export class TeamUsageDto {
  @ApiProperty() team!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() errors!: number;
}

export class ClientUsageDto {
  @ApiProperty({ description: "The session's clientInfo.name (past 50 names: other)" })
  client!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() errors!: number;
}

export class TokensSavedDto {
  @ApiProperty({ description: 'Meta-tool sessions first seen in the period' }) sessions!: number;
  @ApiProperty({
    description:
      'Tokens of every tool those sessions could use, less the meta-tool definitions and the discover answers (may be negative)',
  })
  tokens!: number;
}

export class UsageReportDto {
  @ApiProperty({ description: 'Start of the first hour counted' }) since!: string;
  @ApiProperty() until!: string;
  @ApiProperty({ type: [ToolUsageDto], description: 'Most calls first' }) tools!: ToolUsageDto[];
  @ApiProperty({ type: [ServerUsageDto] }) servers!: ServerUsageDto[];
  @ApiProperty({ type: [TeamUsageDto] }) teams!: TeamUsageDto[];
  @ApiProperty({ type: [ClientUsageDto] }) clients!: ClientUsageDto[];
  @ApiProperty({ type: TokensSavedDto }) tokens_saved!: TokensSavedDto;
}
