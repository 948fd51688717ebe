/**
 * Words that go together in the domains MCP servers cover (browsers, version control, CI, chat,
 * files, maps, web search, docs, error monitoring, databases, notes, knowledge graphs, mail,
 * calendars, payments, containers). Not synonyms: a word here makes its neighbours mildly
 * relevant ("commit history" → log, "API calls" → network requests), weighted well below a
 * synonym. Like the synonyms, these describe domains, never a particular catalog or query.
 */
export const RELATED_GROUPS: readonly (readonly string[])[] = [
  // browsers and web automation
  ['screenshot', 'capture', 'screen'],
  ['console', 'javascript', 'warning', 'devtools'],
  ['network', 'request', 'api', 'call', 'xhr', 'traffic', 'response'],
  ['evaluate', 'javascript', 'script', 'code'],
  ['wait', 'appear', 'visible', 'until', 'timeout'],
  ['dialog', 'confirm', 'alert', 'popup', 'accept', 'dismiss'],
  ['upload', 'attach', 'chooser'],
  ['form', 'field', 'fill', 'input'],
  ['back', 'previous', 'history'],
  ['element', 'button', 'link', 'click'],
  // version control and code review
  ['commit', 'history', 'log', 'changes'],
  ['pull', 'review', 'merge', 'branch'],
  ['review', 'approve', 'reviewer'],
  ['status', 'checks', 'passing', 'failing', 'green'],
  ['code', 'source', 'function', 'symbol', 'usage', 'references'],
  ['issue', 'report', 'bug', 'label'],
  // CI/CD
  ['failure', 'failed', 'fail', 'broke', 'broken', 'red'],
  ['flaky', 'intermittent', 'unstable'],
  ['artifact', 'output', 'binary'],
  ['resource', 'cpu', 'ram', 'machine', 'instance', 'executor'],
  ['rollback', 'previous', 'release'],
  // chat
  ['channel', 'history', 'recent', 'conversation'],
  ['thread', 'replies', 'discussion'],
  // files
  ['info', 'size', 'modified', 'metadata', 'created', 'permissions', 'timestamps', 'stat'],
  ['tree', 'recursive', 'structure', 'hierarchy', 'nested'],
  ['glob', 'pattern', 'match', 'wildcard'],
  ['multiple', 'batch', 'several', 'bulk', 'many'],
  ['tail', 'last', 'lines', 'end'],
  ['head', 'first', 'beginning'],
  ['allowed', 'permitted', 'access', 'accessible'],
  ['media', 'image', 'audio', 'video'],
  // maps and places
  ['directions', 'route', 'walking', 'walk', 'driving', 'transit', 'bicycling'],
  ['distance', 'travel', 'far', 'duration', 'drive'],
  ['geocode', 'coordinates', 'latitude', 'longitude', 'address'],
  ['place', 'business', 'restaurant', 'shop', 'nearby', 'near', 'local'],
  // web search and scraping
  ['web', 'news', 'online', 'internet', 'google'],
  ['crawl', 'spider', 'scrape', 'site', 'deep', 'depth'],
  ['extract', 'scrape', 'content', 'markdown', 'text'],
  ['research', 'report', 'briefing', 'sources', 'comprehensive', 'depth'],
  ['sitemap', 'structure', 'urls'],
  // documentation
  ['documentation', 'examples', 'snippets', 'api', 'library'],
  // error monitoring and observability
  ['issue', 'error', 'exception', 'crash'],
  ['event', 'occurrence', 'occurrences', 'instances'],
  ['trace', 'span', 'performance', 'latency', 'profile', 'profiling'],
  ['replay', 'session', 'recording'],
  ['tag', 'breakdown', 'distribution', 'facet'],
  ['whoami', 'current', 'authenticated', 'identity', 'self', 'me'],
  // databases
  ['sql', 'query', 'database', 'table', 'rows'],
  ['schema', 'columns', 'tables', 'describe'],
  // knowledge graphs and memory
  ['entity', 'node', 'person', 'concept'],
  ['relation', 'relationship', 'connection', 'edge'],
  ['observation', 'fact', 'note', 'attribute'],
  ['graph', 'knowledge', 'memory'],
  // notes and wikis
  ['page', 'document', 'note', 'wiki'],
  ['block', 'paragraph', 'content', 'todo', 'bullet', 'append', 'children'],
  ['database', 'data', 'source', 'table', 'collection'],
  // reasoning
  ['thinking', 'reason', 'reasoning', 'step', 'chain', 'thought', 'reflect', 'reflective'],
  // small utilities
  ['sum', 'plus', 'calculate', 'math', 'numbers', 'arithmetic'],
  ['echo', 'repeat', 'mirror'],
  ['progress', 'operation', 'steps'],
  ['notification', 'subscribe', 'subscription', 'updates'],
  ['time', 'date', 'timezone', 'clock'],
  ['weather', 'forecast', 'temperature'],
  ['email', 'inbox', 'draft', 'send'],
  ['calendar', 'schedule', 'meeting', 'event'],
  ['payment', 'charge', 'invoice', 'customer', 'refund'],
  ['container', 'docker', 'image', 'pod'],
  // Domains of MCP servers beyond this catalog's: trackers, CRM, cloud, monitoring, office
  // documents, media, security, deployment, shells, package registries, markets, languages.
  ['sprint', 'backlog', 'epic', 'story', 'estimate', 'points'],
  ['priority', 'severity', 'urgent', 'blocker'],
  ['assignee', 'owner', 'responsible', 'assigned'],
  ['contact', 'lead', 'deal', 'opportunity', 'company', 'crm'],
  ['bucket', 'object', 'storage', 'blob', 'upload'],
  ['instance', 'vm', 'compute', 'region', 'zone'],
  ['lambda', 'function', 'serverless'],
  ['alert', 'incident', 'oncall', 'escalation', 'outage'],
  ['dashboard', 'metric', 'chart', 'panel', 'graph'],
  ['uptime', 'availability', 'outage', 'downtime', 'health'],
  ['spreadsheet', 'cell', 'row', 'column', 'formula', 'range'],
  ['slide', 'presentation', 'deck'],
  ['video', 'transcript', 'caption', 'subtitle', 'youtube'],
  ['audio', 'speech', 'voice', 'transcribe', 'podcast'],
  ['vulnerability', 'cve', 'security', 'advisory', 'scan'],
  ['permission', 'role', 'access', 'grant', 'policy'],
  ['deployment', 'service', 'namespace', 'replica', 'helm'],
  ['command', 'shell', 'terminal', 'cli', 'script', 'process'],
  ['package', 'version', 'dependency', 'npm', 'pypi', 'registry'],
  ['stock', 'price', 'ticker', 'market', 'quote'],
  ['translate', 'language', 'locale'],
  ['invoice', 'subscription', 'plan', 'billing'],
];

/** Multiword expressions of these domains → one word a tool would use. */
export const RELATED_PHRASES: Readonly<Record<string, string>> = {
  'file a': 'create',
  'file an': 'create',
  'how long': 'duration',
  'how far': 'distance',
  'how many': 'count',
  'hold on': 'wait',
  'root cause': 'analyze',
};
