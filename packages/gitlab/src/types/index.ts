import * as input from "./input";

export { input };
