// NODE_EXTRA_CA_CERTS, set on many company hosts, costs every start of Node 20 ~57 ms and ~1.1 MB
// (it reads the file at start; Node 22 and 24 on the first TLS use), and svtools opens no TLS
// connection. bin/relaxlogs, bin/supervise and bin/multilog start Node without it and hand its value
// over in SVTOOLS_CA_CERTS:
//   #!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS SVTOOLS_CA_CERTS=${NODE_EXTRA_CA_CERTS} node ...
// The processes they start (a service, --processor, multilog's !processor) must get the environment
// unchanged, so the program puts it back into process.env first thing. (env -S cannot tell an unset
// variable from an empty one; Node treats an empty NODE_EXTRA_CA_CERTS as unset, and so does this.)
// doc/design.md, "Lean companions".

export const CA_CERTS_HANDOVER = 'SVTOOLS_CA_CERTS';

/** Moves the wrapper's SVTOOLS_CA_CERTS back to NODE_EXTRA_CA_CERTS (never over one set otherwise). */
export function restoreExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[CA_CERTS_HANDOVER];
  if (value === undefined) return;
  delete env[CA_CERTS_HANDOVER];
  if (value !== '' && env.NODE_EXTRA_CA_CERTS === undefined) env.NODE_EXTRA_CA_CERTS = value;
}
