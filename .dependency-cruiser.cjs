/**
 * The walls, checked by a machine (`npm run check:walls`, part of `npm run check`
 * and CI): who may import whom. Each rule says why. Type-only imports count as
 * imports: a type is a dependency on a module's meaning.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one; split the shared part out instead.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'plugins-use-only-the-plugin-api',
      comment: 'Built-in plugins are written against the public API exactly as a third party would (outpost/plugin = core/plugins/plugin-api.ts).',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^(core|api|config|bin|bench|test)/', pathNot: '^core/plugins/plugin-api\\.ts$' },
    },
    {
      name: 'front-ends-reach-the-core-through-the-intake',
      comment: 'REST, SMTP submission and the inbound MX listener use core/intake.ts (and the error registry and the listener helpers), never the spool, scheduler, delivery, pipeline or stores.',
      severity: 'error',
      from: { path: '^api/' },
      to: { path: '^core/', pathNot: '^core/(intake|errors|listen|tls-certificate|address)\\.ts$' },
    },
    {
      name: 'front-ends-are-peers',
      comment:
        'A front end never imports another one; what they share lives behind the intake. One exception: the client ' +
        '(api/client) takes its types from the zod schemas the server validates with and answers with (api/http ' +
        'send/schema, messages/schema, the route modules and the views), so it cannot drift from the server.',
      severity: 'error',
      // $1 is "client" for api/client and empty for every other front end (whose name is then $2), so the
      // second alternative below reads ^(?!client)api/http/... (the schemas are allowed) for the client,
      // and ^(?!)api/http/... (matches nothing: no exception) for the others
      from: { path: '^api/((?:client(?=/))?)([^/]*)/' },
      to: { path: '^api/', pathNot: '^api/$1$2/|^(?!$1)api/http/(send/schema|messages/schema|routes/[a-z-]+|views/[a-z-]+)\\.ts$' },
    },
    {
      name: 'only-the-composition-root-knows-api-and-plugins',
      comment: 'core/ builds api/ and plugins/ in one place, core/assemble.ts; everything else in core/ stays ignorant of them.',
      severity: 'error',
      from: { path: '^core/', pathNot: '^core/assemble\\.ts$' },
      to: { path: '^(api|plugins)/' },
    },
    {
      name: 'only-the-lifecycles-use-the-composition-root',
      comment: 'core/assemble.ts is used only by the process lifecycles: one process (core/server.ts), the primary and a worker (core/workers/).',
      severity: 'error',
      from: { path: '^(core|api|plugins|config)/', pathNot: '^core/(server|workers/primary|workers/worker)\\.ts$' },
      to: { path: '^core/assemble\\.ts$' },
    },
    {
      name: 'receiving-never-imports-sending',
      comment: 'Postfix: the program that receives and the program that sends share only the queue (spool, status, plugins).',
      severity: 'error',
      from: { path: '^core/receive/' },
      to: { path: '^core/send/' },
    },
    {
      name: 'sending-never-imports-receiving',
      comment: 'Postfix: the program that receives and the program that sends share only the queue (spool, status, plugins).',
      severity: 'error',
      from: { path: '^core/send/' },
      to: { path: '^core/receive/' },
    },
    {
      name: 'status-and-spool-know-neither-side',
      comment: 'The spool and the status store are what both sides share; they depend on neither.',
      severity: 'error',
      from: { path: '^core/(spool|status|store)/' },
      to: { path: '^core/(receive|send)/' },
    },
    {
      name: 'config-stands-alone',
      comment: 'Settings are read before anything is built; config/ depends only on the error registry.',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(core|api|plugins)/', pathNot: '^core/errors\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
