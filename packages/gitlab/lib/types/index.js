"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.input = void 0;
const input = require("./input");
exports.input = input;
