import { expandRange, limitHosts, parseInventory } from '../../src/host/inventory.js';

describe('Ansible inventories', () => {
  test('INI: groups, children, group vars, host vars, ranges, comments', () => {
    const hosts = parseInventory(
      `# web and db
bastion.example.com ansible_user=ops

[web]
web[01:02].example.com ansible_user=deploy
web3 ansible_host=192.0.2.13 ansible_port=2222  # behind NAT

[db]
db1 ansible_host=2001:db8::5 ansible_port=22 ansible_ssh_private_key_file="/keys/db key"

[prod:children]
web
db

[prod:vars]
ansible_user=admin
`,
      'hosts.ini',
    );
    expect(hosts).toEqual([
      { label: 'bastion.example.com', spec: 'ops@bastion.example.com', groups: ['ungrouped'] },
      { label: 'web01.example.com', spec: 'deploy@web01.example.com', groups: ['prod', 'web'] },
      { label: 'web02.example.com', spec: 'deploy@web02.example.com', groups: ['prod', 'web'] },
      { label: 'web3', spec: 'admin@192.0.2.13:2222', groups: ['prod', 'web'] },
      { label: 'db1', spec: 'admin@[2001:db8::5]:22', identity: '/keys/db key', groups: ['prod', 'db'] },
    ]);
    expect(limitHosts(hosts, 'db,bastion.example.com').map((h) => h.label)).toEqual(['bastion.example.com', 'db1']);
    expect(() => limitHosts(hosts, 'nothing')).toThrow(/no host or group/);
  });

  test('YAML: all/children/hosts/vars as Ansible writes it', () => {
    const hosts = parseInventory(
      `all:
  vars:
    ansible_user: deploy
  children:
    web:
      hosts:
        web1:
          ansible_host: 192.0.2.21
        web2:
          ansible_host: 192.0.2.22
          ansible_port: 2200
    db:
      vars:
        ansible_user: dba
      hosts:
        db1.example.com:
`,
      'inventory.yml',
    );
    expect(hosts.map((h) => [h.label, h.spec, h.groups])).toEqual([
      ['web1', 'deploy@192.0.2.21', ['web']],
      ['web2', 'deploy@192.0.2.22:2200', ['web']],
      ['db1.example.com', 'dba@db1.example.com', ['db']],
    ]);
  });

  test('one host per line', () => {
    expect(parseInventory('deploy@192.0.2.1:2222\n\nweb2.example.com\n', 'list.txt').map((h) => h.spec)).toEqual(['deploy@192.0.2.1:2222', 'web2.example.com']);
  });

  test('ranges and bad lines', () => {
    expect(expandRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandRange('n[8:12:2]')).toEqual(['n8', 'n10', 'n12']);
    expect(() => parseInventory('[web\nhost1\n', 'bad.ini')).toThrow(/bad\.ini:1: expected \[group\]/);
    expect(() => parseInventory('[web]\nhost1 ansible_port\n', 'bad.ini')).toThrow(/bad\.ini:2: expected key=value/);
  });
});
