/**
 * Run inside a test namespace (`ip netns exec NS bun nft-tcp-probe.ts ...`): listens on each
 * endpoint address, connects `count` times to the service address, and prints as JSON which
 * endpoint answered each connection (or the error). One process, so nothing is left running.
 *
 * usage: nft-tcp-probe.ts <serviceIP> <servicePort> <count> <endpointIP:port>...
 */

// A module, so top-level await is allowed.
export {};

async function ask(hostname: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const timer = setTimeout(() => resolve("timeout"), 2000);
    Bun.connect({
      hostname,
      port,
      socket: {
        data(_s, chunk) {
          got += chunk.toString();
        },
        close() {
          clearTimeout(timer);
          resolve(got);
        },
        connectError(_s, err) {
          clearTimeout(timer);
          resolve(`error: ${err.message}`);
        },
      },
    }).catch((err: Error) => {
      clearTimeout(timer);
      resolve(`error: ${err.message}`);
    });
  });
}

const [serviceIP, servicePort, count, ...endpoints] = process.argv.slice(2);
const listeners = endpoints.map((ep) => {
  const [hostname = "", port = "0"] = ep.split(":");
  return Bun.listen({
    hostname,
    port: Number(port),
    socket: {
      open(s) {
        s.end(ep);
      },
      data() {},
    },
  });
});
const answers: string[] = [];
for (let i = 0; i < Number(count); i++) answers.push(await ask(serviceIP ?? "", Number(servicePort)));
for (const l of listeners) l.stop(true);
console.log(JSON.stringify(answers));
