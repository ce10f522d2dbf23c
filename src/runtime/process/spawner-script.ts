// The spawner itself: a perl program (perl-base is Essential on Debian; only its POSIX and Fcntl
// modules are used) that forks and execs tools on request, so the Node process never forks for
// them. Started by spawner.ts as `perl -e SPAWNER_SCRIPT`; it renames itself `skiff-spawner`.
//
// Wire format, both directions: frames of uint32 big-endian payload length + payload. A payload
// is a type byte, a uint32 request id (chosen by Node, unique per spawner), then fields; `str` is
// a uint32 length + bytes (anything, binary-safe), `list` a uint32 count + that many `str`.
//   Node → spawner
//     S id flags:u32 graceMs:u32 cwd:str command:str args:list env:list input:str
//         flags: 1 stdin is a pipe fed `input` then closed (else /dev/null); 2 fd 3 is a sync
//         pipe; 4 setsid; 8 fd 3 is an output pipe (stream 3). cwd '' = the spawner's. args exclude argv[0] (= command). env: "K=V".
//     K id signal:u32       signal the child unless it was reaped (unknown ids are ignored)
//     R id                  release: close the child's pipes and forget it (it is still reaped)
//   spawner → Node
//     P id pid:u32          started (exec succeeded)
//     E id errno:u32 message:str   could not start (fork, chdir or exec failed); final
//     O id stream:u8 bytes  output, stream 1 = stdout, 2 = stderr, 3 = fd 3 (rest of the payload)
//     Y id line:str         sync mode: the first line on fd 3 (no newline); final, pipes dropped
//     X id status:u32       exited (wait status as waitpid gives it), output drained; final
// A child is final once its stdout/stderr (and fd 3 if it has one) reached EOF and it was reaped,
// or graceMs after it was reaped, when a descendant keeps an output open. In sync mode the grace
// starts only once fd 3 reached EOF: conmon's first process exits long before its line comes.
//
// How it runs: one select loop over its stdin, its stdout (when output is queued) and every
// child's pipes, all non-blocking; SIGCHLD only interrupts select, and children are reaped with
// waitpid(-1, WNOHANG) after every wake-up. Perl runs signal handlers between its ops, so a SIGCHLD
// that lands just before select blocks would go unseen: while a child is unreaped, select wakes
// every 10 ms (its pipes are closed: exit is imminent) or 100 ms (otherwise) to look. A fork blocks the spawner only until the child has exec'ed (a close-on-exec
// pipe reports exec failures), which is cheap in a process of a few MB. When more than 8 MiB of
// output wait for Node, children's pipes are not read until Node catches up. EOF on stdin (the
// runtime exited) ends the spawner at once; running children are left to finish on their own.
// select() limits the spawner to fds below 1024: about 250 children at a time.

export const SPAWNER_SCRIPT = String.raw`
use strict; use warnings;
use POSIX ();
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
$0 = 'skiff-spawner';
$SIG{PIPE} = 'IGNORE';
my $chld = 0;
$SIG{CHLD} = sub { $chld = 1 };
# Holding fd 3 (when free) makes every pipe below get a number above 3, so that the child's
# dup2 onto 0..3 never overwrites a source still to be copied. It is also the child's /dev/null.
open(my $devnull, '<', '/dev/null') or die "skiff-spawner: /dev/null: $!\n";
for my $fh (\*STDIN, \*STDOUT) { nonblock($fh); binmode $fh; }

my ($inbuf, $outbuf) = ('', '');
my (%kids, %bypid);
my $MAX_QUEUED = 8 * 1048576;

sub nonblock { my $fh = shift; my $fl = fcntl($fh, F_GETFL, 0); fcntl($fh, F_SETFL, $fl | O_NONBLOCK) or die "skiff-spawner: fcntl: $!\n"; }
sub now { return (POSIX::times())[0] / POSIX::sysconf(POSIX::_SC_CLK_TCK()); }
sub emit { my ($type, $id, $body) = @_; my $p = $type . pack('N', $id) . $body; $outbuf .= pack('N', length $p) . $p; }

sub closefh { my ($k, $which) = @_; if ($k->{$which}) { close $k->{$which}; $k->{$which} = undef; } }
sub drop { my $k = shift; closefh($k, $_) for qw(in out err sync fd3); delete $kids{$k->{id}}; delete $bypid{$k->{pid}} if defined $k->{pid}; }

sub try_finish {
  my $k = shift;
  return unless defined $k->{status};
  return if $k->{sync};
  my $open = $k->{out} || $k->{err} || $k->{fd3};
  if ($open) {
    $k->{deadline} //= now() + $k->{grace};
    # Output still waiting in a pipe that back-pressure keeps us from reading is not dropped.
    return if now() < $k->{deadline} || length($outbuf) >= $MAX_QUEUED;
  }
  emit('X', $k->{id}, pack('N', $k->{status}));
  drop($k);
}

sub reap {
  $chld = 0;
  for (;;) {
    my $pid = waitpid(-1, POSIX::WNOHANG());
    last if $pid <= 0;
    my $id = delete $bypid{$pid};
    next unless defined $id && $kids{$id};
    my $k = $kids{$id};
    $k->{status} = $?;
    closefh($k, 'in');
    try_finish($k);
  }
}

sub take_u32 { my ($b, $pos) = @_; die "skiff-spawner: truncated request\n" if $$pos + 4 > length $$b; my $v = unpack('N', substr($$b, $$pos, 4)); $$pos += 4; return $v; }
sub take_str { my ($b, $pos) = @_; my $n = take_u32($b, $pos); die "skiff-spawner: truncated request\n" if $$pos + $n > length $$b; my $s = substr($$b, $$pos, $n); $$pos += $n; return $s; }
sub take_list { my ($b, $pos) = @_; my $n = take_u32($b, $pos); return map { take_str($b, $pos) } 1 .. $n; }

sub start_child {
  my ($id, $flags, $grace, $cwd, $cmd, $args, $env, $input) = @_;
  my (%p, @made);
  for my $name ('out', 'err', 'ex', ($flags & 1 ? 'in' : ()), ($flags & 2 ? 'sync' : ()), ($flags & 8 ? 'fd3' : ())) {
    my ($r, $w);
    if (!pipe($r, $w)) { my $e = $! + 0; close $_ for @made; emit('E', $id, pack('N', $e) . pack('N/a*', "pipe: $!")); return; }
    $p{$name} = [$r, $w]; push @made, $r, $w;
  }
  my $pid = fork();
  if (!defined $pid) { my $e = $! + 0; my $m = "fork: $!"; close $_ for @made; emit('E', $id, pack('N', $e) . pack('N/a*', $m)); return; }
  if ($pid == 0) {
    my $ex = $p{ex}[1];
    my $fail = sub { my $what = shift; my $e = $! + 0; syswrite($ex, pack('N', $e) . ($what eq '' ? "$!" : "$what: $!")); POSIX::_exit(127); };
    $SIG{PIPE} = 'DEFAULT'; $SIG{CHLD} = 'DEFAULT';
    POSIX::setsid() if $flags & 4;
    defined POSIX::dup2($flags & 1 ? fileno($p{in}[0]) : fileno($devnull), 0) or $fail->('dup2');
    defined POSIX::dup2(fileno($p{out}[1]), 1) or $fail->('dup2');
    defined POSIX::dup2(fileno($p{err}[1]), 2) or $fail->('dup2');
    my $three = $p{sync} || $p{fd3};
    if ($three) { defined POSIX::dup2(fileno($three->[1]), 3) or $fail->('dup2'); }
    if (length $cwd) { chdir $cwd or $fail->("cannot change to directory $cwd"); }
    %ENV = ();
    for my $kv (@$env) { my ($k, $v) = split /=/, $kv, 2; $ENV{$k} = $v if defined $v; }
    { no warnings 'exec'; exec { $cmd } $cmd, @$args; }
    $fail->('');
  }
  close $p{ex}[1]; close $p{out}[1]; close $p{err}[1];
  close $p{in}[0] if $p{in}; close $p{sync}[1] if $p{sync}; close $p{fd3}[1] if $p{fd3};
  # Blocks until the child has exec'ed (EOF: the pipe is close-on-exec) or reports why not.
  my $report = '';
  for (;;) { my $n = sysread($p{ex}[0], my $b, 4096); if (!defined $n) { next if $!{EINTR}; last; } last if $n == 0; $report .= $b; }
  close $p{ex}[0];
  if (length $report >= 4) {
    { no warnings; close $_ for map { @$_ } grep { defined } @p{qw(out err in sync fd3)}; }
    for (;;) { last if waitpid($pid, 0) != -1 || !$!{EINTR}; }
    emit('E', $id, pack('N', unpack('N', $report)) . pack('N/a*', substr($report, 4)));
    return;
  }
  my $k = { id => $id, pid => $pid, grace => $grace / 1000, out => $p{out}[0], err => $p{err}[0],
            in => $p{in} ? $p{in}[1] : undef, inbuf => $input, sync => $p{sync} ? $p{sync}[0] : undef, syncbuf => '',
            fd3 => $p{fd3} ? $p{fd3}[0] : undef };
  nonblock($_) for grep { $_ } @$k{qw(out err in sync fd3)};
  closefh($k, 'in') if $k->{in} && !length $input;
  $kids{$id} = $k; $bypid{$pid} = $id;
  emit('P', $id, pack('N', $pid));
}

sub handle_request {
  my $b = shift;
  my $pos = 1;
  my $type = substr($b, 0, 1);
  my $id = take_u32(\$b, \$pos);
  if ($type eq 'S') {
    my $flags = take_u32(\$b, \$pos); my $grace = take_u32(\$b, \$pos);
    my $cwd = take_str(\$b, \$pos); my $cmd = take_str(\$b, \$pos);
    my @args = take_list(\$b, \$pos); my @env = take_list(\$b, \$pos);
    my $input = take_str(\$b, \$pos);
    start_child($id, $flags, $grace, $cwd, $cmd, \@args, \@env, $input);
  } elsif ($type eq 'K') {
    my $sig = take_u32(\$b, \$pos);
    my $k = $kids{$id};
    kill($sig, $k->{pid}) if $k && !defined $k->{status};
  } elsif ($type eq 'R') {
    drop($kids{$id}) if $kids{$id};
  } else {
    die "skiff-spawner: unknown request type " . ord($type) . "\n";
  }
}

sub pump_output {
  my ($k, $which, $stream) = @_;
  my $n = sysread($k->{$which}, my $buf, 65536);
  if (!defined $n) { return if $!{EAGAIN} || $!{EINTR}; $n = 0; }
  if ($n == 0) { closefh($k, $which); return; }
  emit('O', $k->{id}, pack('C', $stream) . $buf);
}

sub pump_sync {
  my $k = shift;
  my $n = sysread($k->{sync}, my $buf, 4096);
  if (!defined $n) { return if $!{EAGAIN} || $!{EINTR}; $n = 0; }
  if ($n == 0) { closefh($k, 'sync'); return; }
  $k->{syncbuf} .= $buf;
  my $nl = index($k->{syncbuf}, "\n");
  return if $nl < 0;
  emit('Y', $k->{id}, pack('N/a*', substr($k->{syncbuf}, 0, $nl)));
  drop($k);
}

sub pump_input {
  my $k = shift;
  my $n = syswrite($k->{in}, $k->{inbuf}, 65536);
  if (!defined $n) { return if $!{EAGAIN} || $!{EINTR}; closefh($k, 'in'); return; }
  substr($k->{inbuf}, 0, $n) = '';
  closefh($k, 'in') unless length $k->{inbuf};
}

for (;;) {
  my ($rin, $win) = ('', '');
  vec($rin, fileno(STDIN), 1) = 1;
  vec($win, fileno(STDOUT), 1) = 1 if length $outbuf;
  my $reading = length($outbuf) < $MAX_QUEUED;
  my $timeout;
  my $t = now();
  for my $k (values %kids) {
    if ($reading) { vec($rin, fileno($k->{$_}), 1) = 1 for grep { $k->{$_} } qw(out err sync fd3); }
    vec($win, fileno($k->{in}), 1) = 1 if $k->{in};
    # An unreaped child is polled for: SIGCHLD can land just before select blocks (see header).
    my $wait = defined $k->{deadline} ? $k->{deadline} - $t
             : defined $k->{status} ? undef
             : !$k->{out} && !$k->{err} && !$k->{sync} && !$k->{fd3} ? 0.01 : 0.1;
    $timeout = $wait if defined $wait && (!defined $timeout || $wait < $timeout);
  }
  $timeout = 0 if defined $timeout && $timeout < 0;
  my $n = select(my $rout = $rin, my $wout = $win, undef, $chld ? 0 : $timeout);
  if ($n < 0) { die "skiff-spawner: select: $!\n" unless $!{EINTR}; $rout = $wout = ''; }
  if (vec($wout, fileno(STDOUT), 1)) {
    my $w = syswrite(STDOUT, $outbuf);
    if (defined $w) { substr($outbuf, 0, $w) = ''; } elsif (!$!{EAGAIN} && !$!{EINTR}) { exit 0; }
  }
  if (vec($rout, fileno(STDIN), 1)) {
    my $r = sysread(STDIN, $inbuf, 1048576, length $inbuf);
    if (defined $r && $r == 0) { exit 0; }
    if (!defined $r && !$!{EAGAIN} && !$!{EINTR}) { exit 0; }
    while (length($inbuf) >= 4) {
      my $len = unpack('N', $inbuf);
      last if length($inbuf) < 4 + $len;
      my $req = substr($inbuf, 4, $len);
      substr($inbuf, 0, 4 + $len) = '';
      handle_request($req);
    }
  }
  for my $k (values %kids) {
    next unless $kids{$k->{id}};
    pump_input($k) if $k->{in} && vec($wout, fileno($k->{in}), 1);
    pump_output($k, 'out', 1) if $k->{out} && vec($rout, fileno($k->{out}), 1);
    pump_output($k, 'err', 2) if $k->{err} && vec($rout, fileno($k->{err}), 1);
    pump_output($k, 'fd3', 3) if $k->{fd3} && vec($rout, fileno($k->{fd3}), 1);
    pump_sync($k) if $k->{sync} && vec($rout, fileno($k->{sync}), 1);
  }
  reap();
  try_finish($_) for values %kids;
}
`;
