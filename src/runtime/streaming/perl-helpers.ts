// Two tiny relays that the streaming backend runs as child processes, because Node cannot do
// their one system-level step itself:
//   - conmon's attach socket is an AF_UNIX SOCK_SEQPACKET socket, which Node's `net` cannot
//     open, and each packet's first byte names its stream, so packet boundaries must survive;
//   - port-forward must connect from inside the pod's network namespace (setns), which a Node
//     process cannot enter, so the connecting process is started by `nsenter --net=<path>`.
// They are Perl because Debian's perl-base is Essential (present on every Debian system) and its
// Socket module speaks SOCK_SEQPACKET; no extra package is needed. Each relay copies the two
// directions in two processes (fork), so a full pipe in one direction never blocks the other.
//
// Protocols (contract with the TypeScript side):
//   seqpacket relay: argv = socket path. It connects (from inside the socket's directory, so
//     paths longer than sun_path's 108 bytes work), then writes to stdout a zero-length frame
//     ("connected") followed by one frame per received packet: uint32 big-endian length, then
//     the packet bytes. Bytes read from stdin are sent as packets of at most 4096 bytes (conmon
//     reads attach input with an 8 KiB buffer); stdin EOF becomes shutdown(SHUT_WR). It exits
//     when the socket reaches EOF. Connection failures: message on stderr, exit status 2.
//   tcp relay: argv = port. It connects to 127.0.0.1:<port>, else [::1]:<port> (as containerd
//     does), then copies bytes both ways unframed; stdin EOF becomes shutdown(SHUT_WR); it exits
//     when the peer closes. Connection failures: message on stderr, exit status 2.

const COPY_LOOPS = String.raw`
sub put_all {
  my ($fh, $d) = @_;
  while (length $d) {
    my $n = syswrite($fh, $d);
    if (!defined $n) { next if $!{EINTR}; exit 1; }
    substr($d, 0, $n) = '';
  }
}
sub relay {
  my ($s, $framed) = @_;
  binmode STDIN; binmode STDOUT;
  put_all(\*STDOUT, pack('N', 0)) if $framed;
  my $pid = fork();
  die "fork: $!\n" unless defined $pid;
  if ($pid == 0) {
    close STDOUT;
    for (;;) {
      my $n = sysread(STDIN, my $buf, 4096);
      if (!defined $n) { next if $!{EINTR}; last; }
      last if $n == 0;
      my $sent = $framed ? send($s, $buf, 0) : syswrite($s, $buf);
      if (!$framed) { while (defined $sent && $sent < length $buf) { substr($buf, 0, $sent) = ''; $sent = syswrite($s, $buf); } }
      last unless defined $sent;
    }
    shutdown($s, SHUT_WR);
    exit 0;
  }
  close STDIN;
  for (;;) {
    my $pkt = '';
    my $r = $framed ? recv($s, $pkt, 65536, 0) : sysread($s, $pkt, 65536);
    if (!defined $r) { next if $!{EINTR}; last; }
    last if length($pkt) == 0;
    put_all(\*STDOUT, $framed ? pack('N', length $pkt) . $pkt : $pkt);
  }
  kill 'TERM', $pid;
  waitpid($pid, 0);
  exit 0;
}
`;

export const SEQPACKET_RELAY = String.raw`
use strict; use warnings;
use Socket qw(AF_UNIX SOCK_SEQPACKET SHUT_WR pack_sockaddr_un);
$SIG{PIPE} = 'DEFAULT';
${COPY_LOOPS}
my $path = shift @ARGV;
my ($dir, $name) = $path =~ m{^(.*)/([^/]+)$} ? ($1, $2) : ('.', $path);
$dir = '/' if $dir eq '';
if (!chdir $dir) { print STDERR "cannot enter $dir: $!\n"; exit 2; }
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or do { print STDERR "socket: $!\n"; exit 2; };
connect($s, pack_sockaddr_un($name)) or do { print STDERR "cannot connect to $path: $!\n"; exit 2; };
relay($s, 1);
`;

export const TCP_RELAY = String.raw`
use strict; use warnings;
use Socket qw(AF_INET AF_INET6 SOCK_STREAM SHUT_WR pack_sockaddr_in pack_sockaddr_in6 inet_aton inet_pton);
$SIG{PIPE} = 'DEFAULT';
${COPY_LOOPS}
my $port = shift @ARGV;
my ($s, @errs);
for my $t ([AF_INET, '127.0.0.1'], [AF_INET6, '::1']) {
  my ($fam, $ip) = @$t;
  my $addr = $fam == AF_INET ? pack_sockaddr_in($port, inet_aton($ip)) : pack_sockaddr_in6($port, inet_pton(AF_INET6, $ip));
  my $c;
  if (!socket($c, $fam, SOCK_STREAM, 0)) { push @errs, "$ip: $!"; next; }
  if (connect($c, $addr)) { $s = $c; last; }
  push @errs, ($fam == AF_INET ? "$ip:$port" : "[$ip]:$port") . ": $!";
}
if (!$s) { print STDERR join('; ', @errs) . "\n"; exit 2; }
relay($s, 0);
`;

/** argv for `perl` running `script` with `args` (after "--", so no argument is read as a switch). */
export function perlArgv(script: string, args: readonly string[]): string[] {
  return ['-e', script, '--', ...args];
}

export const PERL = '/usr/bin/perl';
