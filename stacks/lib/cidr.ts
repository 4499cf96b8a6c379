/** IPv4 CIDR arithmetic for carving subnets at synth time (same result as Terraform's cidrsubnet). */
function toInt(ip: string): number {
  const parts = ip.split('.').map((part) => Number.parseInt(part, 10));
  if (parts.length !== 4 || parts.some((part) => !(part >= 0 && part <= 255))) throw new Error(`not an IPv4 address: ${ip}`);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function toIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
  const [ip, lengthText] = cidr.split('/');
  const length = Number.parseInt(lengthText ?? '', 10);
  const newLength = length + newBits;
  if (!ip || !(length >= 0 && newLength <= 32)) throw new Error(`cannot carve /${newLength} from ${cidr}`);
  if (netNum < 0 || netNum >= 2 ** newBits) throw new Error(`subnet ${netNum} does not fit ${newBits} bits of ${cidr}`);
  const base = toInt(ip) & (length === 0 ? 0 : (~0 << (32 - length)) >>> 0);
  return `${toIp((base + netNum * 2 ** (32 - newLength)) >>> 0)}/${newLength}`;
}
