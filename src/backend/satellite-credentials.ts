/** What registration yields and the data directory keeps (docs/backend-contract.md "Identity"). */
export interface SatelliteCredentials {
  readonly api_key: string;
  readonly satellite_id: string;
  readonly satellite_name: string;
  /** ISO time of the registration. */
  readonly registered_at: string;
}
