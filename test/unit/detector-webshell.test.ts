import { judgeWebFile, webshell } from '../../src/scan/detectors/webshell.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('webshell detector', () => {
  it('judges one-liners by language', () => {
    expect(judgeWebFile('/var/www/a.php', '<?php echo `$_GET[x]`; ?>')?.severity).toBe('critical');
    expect(judgeWebFile('/var/www/a.php', "<?php $x = shell_exec('uptime'); ?>")).toBeNull();
    expect(judgeWebFile('/var/www/logo.php.png', '<?php phpinfo(); ?>')?.rule).toBe('disguised-script');
  });

  it('benign: escaped output and a fixed shell_exec are not reported', async () => {
    const res = await runOn(webshell, `${PERSIST}/webshell/benign`);
    expect(res.findings).toEqual([]);
    expect(res.examined).toBe(2);
  });

  it('malicious: PHP system($_REQUEST), eval(base64_decode($_POST)), JSP and CGI under the nginx root', async () => {
    const res = await runOn(webshell, `${PERSIST}/webshell/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual([
      '/srv/app/public/cgi-bin/diag.py',
      '/srv/app/public/upload/shell.jsp',
      '/var/www/html/.config.php',
      '/var/www/html/wp-content/uploads/2024/cache.php',
    ]);
  });
});
