/** `URL.hostname` of this machine: localhost, 127.0.0.0/8, ::1 (the only hosts plain http may reach). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
