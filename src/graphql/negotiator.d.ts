// negotiator 1.x (Apollo's own choice for content negotiation) ships no types; the one method used here.
declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: { accept?: string } });
    mediaType(available?: string[]): string | undefined;
  }
}
