/** The demo policy's people (tools/playground/policy.yaml) and the incident channel the page shows. */
export interface Person {
  id: string;
  name: string;
  email: string;
  role: string;
}

export const PEOPLE: readonly Person[] = [
  {
    id: 'U0PGREQ01',
    name: 'riya',
    email: 'riya@example.com',
    role: 'on-call engineer: diagnoses, requests probes',
  },
  { id: 'U0PGAPP01', name: 'ama', email: 'ama@example.com', role: 'SRE lead: approves probes' },
  {
    id: 'U0PGAPP02',
    name: 'ben',
    email: 'ben@example.com',
    role: 'second approver: strace and tcpdump need two',
  },
  { id: 'U0PGVIEW1', name: 'victor', email: 'victor@example.com', role: 'no grants: refused' },
];

export const PLAYGROUND_CHANNEL = { id: 'C0INCIDENT', name: 'inc-2031-checkout' } as const;
