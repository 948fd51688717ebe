/**
 * A tool catalog for search tests that the ranking was never tuned on: five made-up servers in
 * domains the dev set (bench/data/tool-search/) does not cover. Tests state properties of the
 * ranking over it (an exact name ranks its tool first, filters restrict, …), not expected hits
 * for hand-picked queries; search quality is measured by the benchmarks in bench/.
 */
export interface CatalogTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

const schema = (...required: string[]): Record<string, unknown> => ({
  type: 'object',
  properties: Object.fromEntries(required.map((p) => [p, { type: 'string' }])),
  required,
});

export const UNSEEN_CATALOG: Readonly<Record<string, readonly CatalogTool[]>> = {
  pantry: [
    {
      name: 'find_recipe',
      description: 'Finds recipes that use the given ingredients.',
      inputSchema: schema('ingredients'),
    },
    {
      name: 'get_recipe',
      description: 'Returns one recipe with its steps and cooking time.',
      inputSchema: schema('recipe_id'),
    },
    {
      name: 'add_pantry_item',
      description: 'Adds an ingredient to the pantry stock with its expiry date.',
      inputSchema: schema('item', 'expires'),
    },
    {
      name: 'list_expiring_items',
      description: 'Lists pantry items that expire within the next days.',
      inputSchema: schema('days'),
    },
    {
      name: 'plan_weekly_menu',
      description: 'Plans dinners for a week from what is in stock.',
      inputSchema: schema('people'),
    },
    {
      name: 'convert_units',
      description: 'Converts cups, grams and ounces for baking.',
      inputSchema: schema('amount', 'from', 'to'),
    },
  ],
  fleet: [
    {
      name: 'locate_vehicle',
      description: 'Shows where a van or truck is now, from its tracker.',
      inputSchema: schema('vehicle_id'),
    },
    {
      name: 'list_vehicles',
      description: 'Lists the vans and trucks of the fleet with their status.',
      inputSchema: schema(),
    },
    {
      name: 'schedule_maintenance',
      description: 'Books a workshop slot for a vehicle service or tyre change.',
      inputSchema: schema('vehicle_id', 'date'),
    },
    {
      name: 'log_fuel_purchase',
      description: 'Records a diesel or petrol purchase with litres and price.',
      inputSchema: schema('vehicle_id', 'litres'),
    },
    {
      name: 'assign_driver',
      description: 'Assigns a driver to a vehicle for a shift.',
      inputSchema: schema('driver_id', 'vehicle_id'),
    },
    {
      name: 'get_mileage_report',
      description: 'Kilometres driven per vehicle over a month.',
      inputSchema: schema('month'),
    },
  ],
  stacks: [
    {
      name: 'search_catalogue',
      description: 'Searches the library catalogue by title, author or ISBN.',
      inputSchema: schema('query'),
    },
    {
      name: 'checkout_book',
      description: 'Lends a book to a member until its due date.',
      inputSchema: schema('member_id', 'isbn'),
    },
    {
      name: 'return_book',
      description: 'Marks a borrowed book as returned and clears any hold.',
      inputSchema: schema('isbn'),
    },
    {
      name: 'place_hold',
      description: 'Reserves a book that is out on loan for a member.',
      inputSchema: schema('member_id', 'isbn'),
    },
    {
      name: 'list_overdue_loans',
      description: 'Lists loans past their due date with the fines owed.',
      inputSchema: schema(),
    },
    {
      name: 'renew_membership',
      description: 'Extends a library card for another year.',
      inputSchema: schema('member_id'),
    },
  ],
  greenhouse: [
    {
      name: 'read_soil_moisture',
      description: 'Current soil moisture of a bed, from its probe.',
      inputSchema: schema('bed'),
    },
    {
      name: 'set_irrigation_schedule',
      description: 'Sets when and how long the drip irrigation waters a bed.',
      inputSchema: schema('bed', 'minutes'),
    },
    {
      name: 'get_climate_history',
      description: 'Temperature and humidity readings of the last days.',
      inputSchema: schema('days'),
    },
    {
      name: 'open_vents',
      description: 'Opens the roof vents to a given percentage.',
      inputSchema: schema('percent'),
    },
    {
      name: 'record_harvest',
      description: 'Records the weight picked from a bed, per crop.',
      inputSchema: schema('bed', 'crop', 'kg'),
    },
  ],
  payroll: [
    {
      name: 'run_payroll',
      description: 'Calculates and pays salaries for a pay period.',
      inputSchema: schema('period'),
    },
    {
      name: 'get_payslip',
      description: 'Returns the payslip of one employee for a month.',
      inputSchema: schema('employee_id', 'month'),
    },
    {
      name: 'update_tax_code',
      description: 'Changes the tax code of an employee.',
      inputSchema: schema('employee_id', 'code'),
    },
    {
      name: 'list_employees',
      description: 'Lists employees with their department and salary band.',
      inputSchema: schema(),
    },
    {
      name: 'approve_expense_claim',
      description: 'Approves a submitted expense claim for reimbursement.',
      inputSchema: schema('claim_id'),
    },
    {
      name: 'export_pension_contributions',
      description: 'Exports the pension contributions file for the provider.',
      inputSchema: schema('period'),
    },
  ],
};

/** Words that appear nowhere in UNSEEN_CATALOG (nor are near misspellings of its words). */
export const UNKNOWN_WORDS = ['zyxoplat', 'quembrith', 'vortaplex', 'glimmerwick', 'snorfuddle'];
