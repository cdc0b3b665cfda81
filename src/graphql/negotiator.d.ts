// negotiator 1.x (Apollo's own choice for content negotiation) ships no types; the methods used here.
declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: { accept?: string; 'accept-encoding'?: string } });
    mediaType(available?: string[]): string | undefined;
    encodings(available?: string[], options?: { preferred?: string[] }): string[];
  }
}
